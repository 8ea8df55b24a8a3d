"""Schema-driven fuzzing of every route in the emulator's OpenAPI description.

Schemathesis generates requests from the description that the emulator
publishes (``GET /_emulator/openapi.json``, built from the route table, so
routes added later by other API packages are fuzzed too): well-formed ones,
and ones that break the schema (wrong types, unknown fields, out-of-range
numbers, odd strings in paths, queries and credentials). Every case is sent
twice: as generated, with random resource ids and credentials, and aimed at a
tuned model that exists, with a valid key, so that handlers past the lookups
are reached too. The bar: no answer is a 5xx, every error is the JSON error
envelope, and no answer carries a bare ``NaN`` or ``Infinity``.

The run is bounded: a fixed seed, deterministic generation and a fixed
number of examples per operation (about a minute on two cores).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from schemathesis.config import SchemathesisConfig

from airflow_provider_tunedmodels.emulator.app import EmulatorApp
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.openapi import openapi_document
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.hostile import hostile_requests
from tests.emulator.support import BASE_MODEL, Api, create_body

#: Seed of the whole run; change it to explore other inputs.
SEED = 20_240_917
#: Generated cases per operation (each is sent twice).
EXAMPLES_PER_OPERATION = 12
MODEL_ID = "fuzz-model"

_V1_DUPLICATES = r"^v1\.(models\.|tunedModels\.(generateContent|streamGenerateContent|operations\.get|operations\.list)$)"
_CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
        },
        # The v1 bindings of generation and operation reads share their handlers with
        # v1beta: the exhaustive coverage phase runs on v1beta only.
        "operations": [
            {
                "include-operation-id-regex": _V1_DUPLICATES,
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)
# The description of the routes a default emulator serves; the server under test
# is started below with the same settings.
schema = schemathesis.openapi.from_dict(
    openapi_document(EmulatorApp(EmulatorConfig()).router, title="emulator", version="fuzz"),
    config=_CONFIG,
)


class Target:
    """A tuned model, its permission and operation, recreated whenever a case removed them."""

    def __init__(self, emulator: RunningEmulator) -> None:
        self.emulator = emulator
        self.api = Api(emulator.base_url, emulator.api_key)
        self.ids: dict[str, str] = {}

    def ensure(self) -> dict[str, str]:
        """The path parameters of live resources the default key owns."""
        if not self.ids:
            self.emulator.reset()
            self._create()
        return self.ids

    def touched(self, case: schemathesis.Case) -> None:
        """Recreate the resources before the next case if ``case`` may have removed them."""
        if case.method == "DELETE" or case.path.endswith(":transferOwnership"):
            self.ids = {}

    def _create(self) -> None:
        name = self.api.tuned(create_body(4, epochs=1, batch=4), MODEL_ID)
        permission = self.api.post(
            f"/v1beta/{name}/permissions",
            json={"granteeType": "USER", "emailAddress": "reader@example.com", "role": "READER"},
        ).json()
        operation = self.api.get(f"/v1beta/{name}/operations").json()["operations"][0]
        self.ids = {
            "model": MODEL_ID,
            "permission": permission["name"].rsplit("/", 1)[1],
            "operation": operation["name"].rsplit("/", 1)[1],
        }


@pytest.fixture
def target(emulator: RunningEmulator) -> Iterator[Target]:
    aimed = Target(emulator)
    yield aimed
    aimed.api.close()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False
        yield http


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"the answer carries a bare {name}, which is not JSON")


def _check(response: requests.Response, label: str) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
    if not response.content or "json" not in response.headers.get("content-type", ""):
        return
    body = json.loads(response.content, parse_constant=_refuse_constant)
    if response.status_code >= 400 and not response.request.path_url.startswith("/token"):
        error = body["error"]
        assert isinstance(error["message"], str), label
        assert error["code"] == response.status_code, label


def _aim(case: schemathesis.Case, target: Target) -> None:
    """Point ``case`` at live resources, and make a create's body name a real base model."""
    ids = target.ensure()
    if "/models/" in case.path:
        ids = {"model": BASE_MODEL.removeprefix("models/")}
    case.path_parameters = {
        name: ids.get(name, value) for name, value in (case.path_parameters or {}).items()
    }
    if case.operation.label == "POST /v1beta/tunedModels" and isinstance(case.body, dict):
        case.body = {
            **{key: value for key, value in case.body.items() if key != "tunedModelSource"},
            "baseModel": BASE_MODEL,
        }
        case.query = {k: v for k, v in (case.query or {}).items() if k != "tunedModelId"}


@schema.parametrize()
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case, target: Target, session: requests.Session
) -> None:
    base_url = target.emulator.base_url
    key = {"x-goog-api-key": target.emulator.api_key}
    generated = case.call(base_url=base_url, session=session, timeout=30)
    _check(generated, f"{case.method} {case.formatted_path} as generated")
    _aim(case, target)
    aimed = case.call(base_url=base_url, session=session, headers=key, timeout=30)
    target.touched(case)
    label = f"{case.method} {case.formatted_path} with live resources and a valid key"
    _check(aimed, label)
    if case.operation.label == "POST /v1beta/tunedModels" and aimed.status_code == 200:
        # What a create accepted must be readable, now and as tuning goes on.
        for _ in range(2):
            polled = session.get(f"{base_url}/v1beta/{aimed.json()['name']}", headers=key)
            _check(polled, f"{label}, then polling the operation")


#: Hand-made hostile requests per operation (see ``tests/emulator/hostile.py``), and
#: for creates, which have the most fields and the most done with what they accept.
HOSTILE_PER_OPERATION = 20
HOSTILE_CREATES = 300
_ASK = {"contents": [{"role": "user", "parts": [{"text": "1"}]}], "generationConfig": {"topK": 3}}
#: Valid bodies that hostile requests are made from, by method id.
SEEDS: dict[str, Any] = {
    "tunedModels.create": {
        **create_body(3, epochs=2, batch=1, learning_rate=0.001),
        "displayName": "seed",
        "temperature": 0.5,
    },
    "tunedModels.patch": {"description": "d", "temperature": 0.5, "topK": 3},
    "tunedModels.generateContent": _ASK,
    "tunedModels.streamGenerateContent": _ASK,
    "models.generateContent": _ASK,
    "models.streamGenerateContent": _ASK,
    "tunedModels.permissions.create": {
        "granteeType": "USER",
        "emailAddress": "b@example.com",
        "role": "READER",
    },
    "tunedModels.permissions.patch": {"role": "WRITER"},
    "tunedModels.transferOwnership": {"emailAddress": "c@example.com"},
}


def test_hostile_values_on_every_route_never_get_a_server_error(target: Target) -> None:
    document = schema.raw_schema
    live = target.ensure()
    key = {"x-goog-api-key": target.emulator.api_key}
    sent = created = 0
    with httpx.Client(base_url=target.emulator.base_url, trust_env=False, timeout=30) as http:
        for request in hostile_requests(
            document,
            seed=SEED,
            per_operation=HOSTILE_PER_OPERATION,
            live=live,
            api_key=target.emulator.api_key,
            seeds=SEEDS,
            counts={"tunedModels.create": HOSTILE_CREATES},
        ):
            target.ensure()
            response = http.request(
                request.method,
                request.path,
                params=request.query,
                headers={name: value.encode("latin-1") for name, value in request.headers.items()},
                content=request.body,
            )
            sent += 1
            if request.method == "DELETE" or ":transferOwnership" in request.path:
                target.ids = {}
            _check_httpx(response, request.label())
            if request.path == "/v1beta/tunedModels" and request.method == "POST":
                created += response.status_code == 200
                if response.status_code == 200:
                    # What a create accepted must be readable, now and as tuning goes on.
                    for _ in range(2):
                        polled = http.get(f"/v1beta/{response.json()['name']}", headers=key)
                        _check_httpx(polled, f"{request.label()}, then polling the operation")
    operations = len(_operation_ids(document))
    assert sent == HOSTILE_PER_OPERATION * (operations - 1) + HOSTILE_CREATES
    assert created > 0  # some hostile values are accepted, and what follows is checked too


def _operation_ids(document: dict[str, Any]) -> list[str]:
    return [op["operationId"] for item in document["paths"].values() for op in item.values()]


def _check_httpx(response: httpx.Response, label: str) -> None:
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
    if "json" not in response.headers.get("content-type", "") or not response.content:
        return
    body = json.loads(response.content, parse_constant=_refuse_constant)
    if response.status_code >= 400 and response.request.url.path != "/token":
        assert body["error"]["code"] == response.status_code, label


def test_the_served_description_is_the_one_fuzzed(emulator: RunningEmulator) -> None:
    served = httpx.get(f"{emulator.base_url}/_emulator/openapi.json", trust_env=False).json()
    assert served["paths"].keys() == schema.raw_schema["paths"].keys()
