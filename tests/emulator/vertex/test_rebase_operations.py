"""``rebaseTunedModel``: the long-running operation under v1, v1beta1 and /ui/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.vertex.support import Vertex, assert_error, job_body

TYPE = "type.googleapis.com/google.cloud.aiplatform.{}.{}"


def _succeeded(vertex: Vertex, **fields: Any) -> dict[str, Any]:
    name = vertex.create(job_body(baseModel="gemini-2.0-flash-001", **fields))["name"]
    vertex.advance(7)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    return job


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_rebase_is_typed_for_the_version_that_created_it(vertex: Vertex, version: str) -> None:
    source = _succeeded(vertex)
    operation = vertex.ok(
        "POST",
        f"{vertex.parent(version)}/tuningJobs:rebaseTunedModel",
        json={"tunedModelRef": {"tuningJob": source["name"]}},
    )
    assert "done" not in operation
    assert operation["metadata"]["@type"] == TYPE.format(
        version, "RebaseTunedModelOperationMetadata"
    )
    assert "createTime" in operation["metadata"]["genericMetadata"]
    job_name, _, operation_id = operation["name"].partition("/operations/")
    assert operation_id.isdigit()
    new_job = vertex.get(job_name)
    assert new_job["baseModel"] == "gemini-2.5-flash"  # the catalog's successor
    assert new_job["tunedModelDisplayName"] == source["tunedModelDisplayName"]
    for prefix in ("v1", "v1beta1", "ui"):  # the official clients poll under /ui/
        assert vertex.ok("GET", f"/{prefix}/{operation['name']}") == operation
    vertex.advance(8)
    done = vertex.ok("GET", f"/ui/{operation['name']}")
    assert done["done"] is True
    response = done["response"]
    assert response["@type"] == TYPE.format(version, "TuningJob")
    assert response["state"] == "JOB_STATE_SUCCEEDED"
    model, _, number = response["tunedModel"]["model"].partition("@")
    assert model == source["tunedModel"]["model"].partition("@")[0]
    assert number == "2"


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_the_packed_job_has_only_the_fields_of_the_published_proto(
    vertex: Vertex, version: str
) -> None:
    # google-api-core unpacks an operation's response against google-cloud-aiplatform's
    # TuningJob message and refuses fields it lacks, such as tuningJobMetadata.
    source = _succeeded(vertex)
    operation = vertex.ok(
        "POST",
        f"{vertex.parent(version)}/tuningJobs:rebaseTunedModel",
        json={"tunedModelRef": {"tuningJob": source["name"]}},
    )
    vertex.advance(8)
    response = vertex.ok("GET", f"/ui/{operation['name']}")["response"]
    job = vertex.get(response["name"], version)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert "tuningJobMetadata" in job  # a job read directly keeps it (google-genai reads it)
    published = {key: value for key, value in job.items() if key != "tuningJobMetadata"}
    assert response == {"@type": TYPE.format(version, "TuningJob"), **published}


def test_rebase_by_model_name_with_overrides_and_the_same_endpoint(vertex: Vertex) -> None:
    source = _succeeded(vertex)
    operation = vertex.ok(
        "POST",
        f"{vertex.parent()}/tuningJobs:rebaseTunedModel",
        json={
            "tunedModelRef": {"tunedModel": source["tunedModel"]["model"]},
            "tuningJob": {"baseModel": "gemini-2.5-flash-lite", "description": "rebased"},
            "artifactDestination": {"outputUriPrefix": "gs://out/rebase"},
            "deployToSameEndpoint": True,
        },
    )
    vertex.advance(9)
    job = vertex.ok("POST", f"/ui/{operation['name']}:wait", json={"timeout": "1s"})["response"]
    assert job["baseModel"] == "gemini-2.5-flash-lite"
    assert job["description"] == "rebased"
    assert job["tunedModel"]["endpoint"] == source["tunedModel"]["endpoint"]


def test_operations_list_wait_and_cancel(vertex: Vertex) -> None:
    source = _succeeded(vertex)
    operation = vertex.ok(
        "POST",
        f"{vertex.parent()}/tuningJobs:rebaseTunedModel",
        json={"tunedModelRef": {"tuningJob": source["name"]}},
    )
    job_name = operation["name"].partition("/operations/")[0]
    listed = vertex.ok("GET", f"/v1/{job_name}/operations")
    assert [op["name"] for op in listed["operations"]] == [operation["name"]]
    assert vertex.ok("GET", f"/v1/{source['name']}/operations") == {}
    waited = vertex.ok("POST", f"/ui/{operation['name']}:wait", json={"timeout": "0.01s"})
    assert "done" not in waited
    assert vertex.ok("POST", f"/ui/{operation['name']}:cancel") == {}
    vertex.advance(1)
    cancelled = vertex.ok("GET", f"/v1beta1/{operation['name']}")
    assert cancelled["done"] is True
    assert cancelled["error"]["code"] == 1
    assert vertex.get(job_name)["state"] == "JOB_STATE_CANCELLED"


def test_no_wait_or_delete_outside_ui(vertex: Vertex) -> None:
    source = _succeeded(vertex)
    operation = vertex.ok(
        "POST",
        f"{vertex.parent()}/tuningJobs:rebaseTunedModel",
        json={"tunedModelRef": {"tuningJob": source["name"]}},
    )
    assert_error(vertex.call("POST", f"/v1/{operation['name']}:wait"), 404, "NOT_FOUND")
    assert_error(vertex.call("DELETE", f"/v1/{operation['name']}"), 404, "NOT_FOUND")
    assert_error(vertex.call("GET", f"/v1/{operation['name'][:-1]}x"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("reference", "status", "message"),
    [
        ({}, "INVALID_ARGUMENT", "exactly one of"),
        (
            {"pipelineJob": "projects/p/locations/us-central1/pipelineJobs/1"},
            "INVALID_ARGUMENT",
            "not simulated",
        ),
        ({"tuningJob": "tuningJobs/1"}, "INVALID_ARGUMENT", "resource name"),
    ],
)
def test_rebase_refuses_bad_references(
    vertex: Vertex, reference: dict[str, Any], status: str, message: str
) -> None:
    response = vertex.call(
        "POST", f"{vertex.parent()}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": reference}
    )
    assert_error(response, 400, status, message)


def test_rebase_needs_a_finished_job_on_a_model_with_a_successor(vertex: Vertex) -> None:
    running = vertex.create(job_body())["name"]
    path = f"{vertex.parent()}/tuningJobs:rebaseTunedModel"
    assert_error(
        vertex.call("POST", path, json={"tunedModelRef": {"tuningJob": running}}),
        400,
        "FAILED_PRECONDITION",
        "Only a succeeded tuning job",
    )
    vertex.advance(7)
    newest = vertex.get(vertex.create(job_body(baseModel="gemini-2.5-pro"))["name"])
    vertex.advance(7)
    assert_error(
        vertex.call("POST", path, json={"tunedModelRef": {"tuningJob": newest["name"]}}),
        400,
        "FAILED_PRECONDITION",
        "no newer base model",
    )
