"""The per-project quota of running jobs, and cancellation."""

from __future__ import annotations

import pytest

from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from tests.emulator.vertex.support import Vertex, assert_error, job_body


def test_jobs_beyond_the_quota_wait_then_start_as_others_end(vertex: Vertex) -> None:
    first, second, third = (vertex.create(job_body())["name"] for _ in range(3))
    vertex.advance(1)
    assert [vertex.get(name)["state"] for name in (first, second)] == ["JOB_STATE_RUNNING"] * 2
    waiting = vertex.get(third, "v1beta1")
    assert waiting["state"] == "JOB_STATE_PENDING"
    assert waiting["tuningJobState"] == "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
    vertex.advance(6)  # the first two end (7 steps each)
    assert vertex.get(first)["state"] == "JOB_STATE_SUCCEEDED"
    started = vertex.get(third)
    assert started["state"] == "JOB_STATE_RUNNING"
    assert started["startTime"] == vertex.get(first)["endTime"]


def test_the_quota_is_per_project(vertex: Vertex) -> None:
    for _ in range(2):
        vertex.create(job_body())
    other = vertex.ok(
        "POST", f"{vertex.parent(project='other-project')}/tuningJobs", json=job_body()
    )
    vertex.advance(1)
    assert vertex.get(other["name"])["state"] == "JOB_STATE_RUNNING"


class TestCancelWithAQuotaOfOne:
    """Cancellation, with one job running at a time so that others wait."""

    @pytest.fixture
    def config(self) -> EmulatorConfig:
        return EmulatorConfig(step_seconds=1.0, seed=5, concurrent_tuning_jobs=1)

    def test_cancel_a_running_job(self, vertex: Vertex) -> None:
        name = vertex.create(job_body(epochs=5))["name"]
        vertex.advance(4)
        assert vertex.ok("POST", f"/v1/{name}:cancel") == {}  # google-genai: no body
        cancelling = vertex.get(name)
        assert cancelling["state"] == "JOB_STATE_CANCELLING"
        assert vertex.ok("POST", f"/v1/{name}:cancel", json={}) == {}  # aiplatform: {}
        vertex.advance(1)
        cancelled = vertex.get(name)
        assert cancelled["state"] == "JOB_STATE_CANCELLED"
        assert cancelled["error"]["code"] == 1
        assert cancelled["endTime"] == cancelled["updateTime"]
        assert "model" not in cancelled.get("tunedModel", {})
        assert_error(
            vertex.call("POST", f"/v1/{name}:cancel"), 400, "FAILED_PRECONDITION", "already ended"
        )

    def test_cancelling_frees_the_quota_and_a_waiting_job_can_be_cancelled(
        self, vertex: Vertex
    ) -> None:
        running = vertex.create(job_body(epochs=50))["name"]
        waiting = vertex.create(job_body())["name"]
        last = vertex.create(job_body())["name"]
        vertex.advance(2)
        assert vertex.get(waiting)["state"] == "JOB_STATE_PENDING"
        vertex.ok("POST", f"/v1/{waiting}:cancel")
        vertex.ok("POST", f"/v1/{running}:cancel")
        vertex.advance(1)
        never_started = vertex.get(waiting)
        assert never_started["state"] == "JOB_STATE_CANCELLED"
        assert "startTime" not in never_started
        assert "experiment" not in never_started
        assert vertex.get(last)["state"] == "JOB_STATE_RUNNING"

    def test_cancel_refuses_bodies_with_unknown_fields_and_unknown_jobs(
        self, vertex: Vertex
    ) -> None:
        name = vertex.create(job_body())["name"]
        assert_error(
            vertex.call("POST", f"/v1/{name}:cancel", json={"force": True}), 400, "INVALID_ARGUMENT"
        )
        assert_error(vertex.call("POST", f"/v1/{name[:-1]}0:cancel"), 404, "NOT_FOUND")
