"""The OpenAPI description generated from the route table."""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis

from airflow_provider_tunedmodels.emulator.app import EmulatorApp
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.gemini import register as register_gemini
from airflow_provider_tunedmodels.emulator.openapi import OPENAPI_VERSION, openapi_document
from airflow_provider_tunedmodels.emulator.responses import Reply, json_reply
from airflow_provider_tunedmodels.emulator.router import Access, Call, Router
from airflow_provider_tunedmodels.emulator.schemas import Enum, Field, Message, string
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator

METHODS = ("get", "post", "patch", "delete", "put")


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_route_is_described_with_its_parameters_body_and_credentials(
    emulator: RunningEmulator,
) -> None:
    response = httpx.get(f"{emulator.base_url}/_emulator/openapi.json", trust_env=False)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == OPENAPI_VERSION
    operations = _operations(document)
    assert set(operations) >= {
        "v1beta.tunedModels.create",
        "v1beta.tunedModels.streamGenerateContent",
        "v1.tunedModels.streamGenerateContent",
        "v1.tunedModels.operations.cancel",
        "v1.operations.list",
        "token",
    }
    method, path, create = operations["v1beta.tunedModels.create"]
    assert (method, path) == ("POST", "/v1beta/tunedModels")
    assert [p["name"] for p in create["parameters"]] == ["tunedModelId"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/google.ai.generativelanguage.v1beta.TunedModel"}
    schemas = document["components"]["schemas"]
    tuned_model = schemas["google.ai.generativelanguage.v1beta.TunedModel"]
    assert tuned_model["additionalProperties"] is False
    assert tuned_model["properties"]["readerProjectNumbers"] == {
        "type": "array",
        "items": {"type": "string", "format": "int64", "pattern": "^-?[0-9]{1,19}$"},
    }
    assert tuned_model["properties"]["state"]["enum"][1] == "CREATING"
    hyper = schemas["google.ai.generativelanguage.v1beta.Hyperparameters"]["properties"]
    assert hyper["learningRate"]["maximum"] == 3.4028234663852886e38
    _, _, stream = operations["v1beta.tunedModels.streamGenerateContent"]
    assert [(p["name"], p["in"]) for p in stream["parameters"]] == [
        ("model", "path"),
        ("alt", "query"),
    ]
    assert set(stream["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert {"apiKeyHeader": []} in stream["security"]
    assert stream["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert not any(path.startswith("/_emulator/") for path in document["paths"])


def _register_tuning_jobs(router: Router, context: ServerContext) -> None:
    """A stand-in for another API package: one Vertex-like route, OAuth only."""

    async def create(call: Call) -> Reply:
        return json_reply({})

    state = Enum("test.JobState", ("JOB_STATE_UNSPECIFIED", "JOB_STATE_RUNNING"))
    job = Message("test.TuningJob", {"name": string(), "state": Field("enum", enum=state)})
    access = Access(frozenset({"scope"}), frozenset({"scope"}), api_keys=False)
    router.add(
        "POST",
        "/v1/projects/{project}/locations/{location}/tuningJobs",
        "projects.locations.tuningJobs.create",
        create,
        write=True,
        access=access,
        body=job,
    )


def test_routes_of_a_new_api_package_appear_without_touching_the_generator() -> None:
    app = EmulatorApp(EmulatorConfig(), apis=[register_gemini, _register_tuning_jobs])
    document = openapi_document(app.router, title="t", version="1")
    method, path, operation = _operations(document)["v1.projects.locations.tuningJobs.create"]
    assert (method, path) == ("POST", "/v1/projects/{project}/locations/{location}/tuningJobs")
    assert [p["name"] for p in operation["parameters"]] == ["project", "location"]
    assert operation["security"] == [{"bearer": []}]
    assert document["components"]["schemas"]["test.TuningJob"]["properties"]["state"] == {
        "type": "string",
        "enum": ["JOB_STATE_UNSPECIFIED", "JOB_STATE_RUNNING"],
    }
    assert len(_operations(document)) == len(app.router.routes()) + 1


def test_schemathesis_reads_the_description() -> None:
    app = EmulatorApp(EmulatorConfig())
    schema = schemathesis.openapi.from_dict(openapi_document(app.router, title="t", version="1"))
    loaded = [result.ok() for result in schema.get_all_operations()]
    assert len(loaded) == len(app.router.routes()) + 1
    assert {operation.label for operation in loaded} >= {
        "POST /v1beta/tunedModels",
        "POST /v1beta/tunedModels/{model}:streamGenerateContent",
    }
