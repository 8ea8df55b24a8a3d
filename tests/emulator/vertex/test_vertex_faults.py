"""Scripted job failures and transport faults on Vertex AI routes (route ids = discovery ids)."""

from __future__ import annotations

from starlette.testclient import TestClient

from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.vertex.render import ENDPOINT_FAILURE_MESSAGE
from tests.emulator.vertex.support import Vertex, assert_error, job_body


def _script(
    http: TestClient, kind: str, route: str = "projects.locations.tuningJobs.create"
) -> None:
    rule = FaultRule(kind, rate=1.0, route=route, count=1).to_json()
    assert http.put("/_emulator/faults", json={"rules": [rule]}).status_code == 200


def test_an_endpoint_failure_keeps_the_uploaded_model(vertex: Vertex, http: TestClient) -> None:
    _script(http, "tuning_failure")
    name = vertex.create(job_body())["name"]
    vertex.advance(7)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_FAILED"
    assert job["error"] == {"code": 13, "message": ENDPOINT_FAILURE_MESSAGE}
    assert set(job["tunedModel"]) == {"model"}
    assert job["tunedModel"]["model"].endswith("@1")
    model = vertex.ok("GET", f"/v1/{job['tunedModel']['model']}")
    assert "deployedModels" not in model
    assert vertex.get(vertex.create(job_body())["name"])["state"] == "JOB_STATE_PENDING"


def test_a_scripted_dataset_failure(vertex: Vertex, http: TestClient) -> None:
    _script(http, "dataset_failure")
    name = vertex.create(job_body())["name"]
    vertex.advance(2)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_FAILED"
    assert job["error"]["code"] == 3
    assert "gs://tuning-data/train.jsonl" in job["error"]["message"]


def test_an_expired_job_never_starts(vertex: Vertex, http: TestClient) -> None:
    _script(http, "expiry")
    name = vertex.create(job_body())["name"]
    vertex.advance(1)
    waiting = vertex.get(name, "v1beta1")
    assert waiting["state"] == "JOB_STATE_PENDING"
    assert waiting["tuningJobState"] == "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
    vertex.advance(2)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_EXPIRED"
    assert "startTime" not in job
    assert "error" not in job
    assert job["endTime"] == job["updateTime"]


def test_transport_faults_select_vertex_routes_by_discovery_id(
    vertex: Vertex, http: TestClient
) -> None:
    name = vertex.create(job_body())["name"]
    _script(http, "503", route="projects.locations.tuningJobs.get")
    assert_error(vertex.call("GET", f"/v1/{name}"), 503, "UNAVAILABLE")
    assert vertex.get(name)["name"] == name
    _script(http, "429", route="projects.locations.tuningJobs.*")
    assert_error(vertex.call("GET", f"{vertex.parent()}/tuningJobs"), 429, "RESOURCE_EXHAUSTED")
