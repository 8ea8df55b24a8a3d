"""Vertex AI resources and stored objects survive a restart with a state file."""

from __future__ import annotations

import base64
from pathlib import Path

from starlette.testclient import TestClient

from airflow_provider_tunedmodels.emulator.app import EmulatorApp
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from tests.emulator.vertex.support import (
    CLOUD_PLATFORM,
    TRAIN_URI,
    FakeClock,
    Vertex,
    issue_token,
    job_body,
    jsonl,
    supervised_lines,
)


def test_jobs_models_operations_and_objects_survive_a_restart(
    tmp_path: Path, clock: FakeClock, tuner_key: dict[str, str]
) -> None:
    config = EmulatorConfig(step_seconds=1.0, state_file=str(tmp_path / "state.json"))
    with TestClient(EmulatorApp(config, clock=clock)) as http:
        vertex = Vertex(http, issue_token(http, tuner_key, CLOUD_PLATFORM, clock()), clock)
        vertex.put_object(TRAIN_URI, jsonl(supervised_lines(20)))
        done = vertex.create(job_body(baseModel="gemini-2.0-flash-001"))["name"]
        vertex.advance(7)
        operation = vertex.ok(
            "POST",
            f"{vertex.parent()}/tuningJobs:rebaseTunedModel",
            json={"tunedModelRef": {"tuningJob": done}},
        )
        running = operation["name"].partition("/operations/")[0]
        vertex.advance(2)
        before = (
            vertex.get(done),
            vertex.get(running),
            vertex.ok("GET", f"/ui/{operation['name']}"),
        )
    with TestClient(EmulatorApp(config, clock=clock)) as http:
        vertex = Vertex(http, issue_token(http, tuner_key, CLOUD_PLATFORM, clock()), clock)
        after = (
            vertex.get(done),
            vertex.get(running),
            vertex.ok("GET", f"/ui/{operation['name']}"),
        )
        assert after == before
        assert before[1]["state"] == "JOB_STATE_RUNNING"
        vertex.advance(6)
        assert vertex.ok("GET", f"/ui/{operation['name']}")["done"] is True
        reread = vertex.create(job_body())["name"]  # the stored dataset is still there
        vertex.advance(7)
        assert vertex.get(reread)["state"] == "JOB_STATE_SUCCEEDED"


def test_objects_are_stored_through_the_control_api(http: TestClient) -> None:
    encoded = base64.b64encode(b'{"contents": []}').decode()
    stored = http.put(
        "/_emulator/objects", json={"uri": "gs://bucket-b/raw.jsonl", "base64": encoded}
    )
    assert stored.json() == {"uri": "gs://bucket-b/raw.jsonl", "size": "16"}
    for body in (
        {"uri": "gs://only-bucket", "text": "x"},
        {"uri": "/tmp/x", "text": "x"},
        {"uri": "gs://b/o"},
    ):
        answer = http.put("/_emulator/objects", json=body)
        assert answer.status_code == 400, answer.text
