"""A tuning job on the simulated clock: create, every phase, the tuned model and its endpoint."""

from __future__ import annotations

import re

import pytest

from airflow_provider_tunedmodels.emulator.vertex.names import project_number
from tests.emulator.vertex.support import (
    LOCATION,
    PROJECT,
    TRAIN_URI,
    Vertex,
    assert_error,
    job_body,
)

NUMBER = project_number(PROJECT)


def test_create_answers_the_pending_job_at_once(vertex: Vertex) -> None:
    job = vertex.create(job_body(labels={"team": "nlp"}, description="first"))
    assert re.fullmatch(
        rf"projects/{NUMBER}/locations/{LOCATION}/tuningJobs/[1-9][0-9]{{18}}", job["name"]
    )
    assert job["state"] == "JOB_STATE_PENDING"
    assert job["createTime"] == job["updateTime"]
    assert job["supervisedTuningSpec"] == {
        "trainingDatasetUri": TRAIN_URI,
        "hyperParameters": {"epochCount": "2"},
    }
    assert job["labels"] == {"team": "nlp"}
    assert job["description"] == "first"
    assert job["tunedModelDisplayName"].startswith("gemini-2.5-flash-")
    for absent in ("startTime", "endTime", "error", "tunedModel", "tuningDataStats", "experiment"):
        assert absent not in job


def test_every_phase_then_success(vertex: Vertex) -> None:
    name = vertex.create(job_body())["name"]  # 20 examples: 2 steps per epoch, 2 epochs
    vertex.advance(1)
    running = vertex.get(name, "v1beta1")
    assert running["state"] == "JOB_STATE_RUNNING"
    assert running["tuningJobState"] == "TUNING_JOB_STATE_PROCESSING_DATASET"
    assert running["startTime"] == running["updateTime"]
    assert running["experiment"].startswith(
        f"projects/{NUMBER}/locations/{LOCATION}/metadataStores/default/contexts/tuning-experiment-"
    )
    assert "tuningDataStats" not in running
    vertex.advance(1)
    processed = vertex.get(name)
    assert processed["tuningJobState"] == "TUNING_JOB_STATE_TUNING"
    assert (
        processed["tuningDataStats"]["supervisedTuningDataStats"]["tuningDatasetExampleCount"]
        == "20"
    )
    assert "tuningJobMetadata" not in processed
    vertex.advance(2)
    one_epoch = vertex.get(name)
    assert one_epoch["tuningJobMetadata"] == {"completedEpochCount": "1", "completedStepCount": "2"}
    [checkpoint] = one_epoch["tunedModel"]["checkpoints"]
    assert (checkpoint["checkpointId"], checkpoint["epoch"], checkpoint["step"]) == ("1", "1", "2")
    assert "model" not in one_epoch["tunedModel"]
    vertex.advance(2)
    post = vertex.get(name)
    assert post["tuningJobState"] == "TUNING_JOB_STATE_POST_PROCESSING"
    assert post["state"] == "JOB_STATE_RUNNING"
    vertex.advance(1)
    done = vertex.get(name)
    assert done["state"] == "JOB_STATE_SUCCEEDED"
    assert done["endTime"] == done["updateTime"]
    assert "tuningJobState" not in done
    assert "error" not in done
    tuned = done["tunedModel"]
    assert re.fullmatch(
        rf"projects/{NUMBER}/locations/{LOCATION}/models/[0-9]{{19}}@1", tuned["model"]
    )
    assert re.fullmatch(
        rf"projects/{NUMBER}/locations/{LOCATION}/endpoints/[0-9]{{19}}", tuned["endpoint"]
    )
    assert [c["epoch"] for c in tuned["checkpoints"]] == ["1", "2"]
    assert tuned["checkpoints"][-1]["endpoint"] == tuned["endpoint"]


def test_many_epochs_give_about_ten_checkpoints_and_cost_nothing_per_step(vertex: Vertex) -> None:
    name = vertex.create(job_body(epochs=10**12))["name"]
    vertex.advance(5)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_RUNNING"
    assert job["tuningJobMetadata"]["completedStepCount"] == "3"
    long_but_done = vertex.create(job_body(epochs=25))["name"]
    vertex.advance(60)
    finished = vertex.get(long_but_done)
    assert finished["state"] == "JOB_STATE_SUCCEEDED"
    epochs = [int(c["epoch"]) for c in finished["tunedModel"]["checkpoints"]]
    assert len(epochs) == 10
    assert epochs[-1] == 25
    assert epochs == sorted(set(epochs))


def test_export_last_checkpoint_only(vertex: Vertex) -> None:
    body = job_body()
    body["supervisedTuningSpec"]["exportLastCheckpointOnly"] = True
    name = vertex.create(body)["name"]
    vertex.advance(5)
    assert "tunedModel" not in vertex.get(name)
    vertex.advance(2)
    tuned = vertex.get(name)["tunedModel"]
    assert set(tuned) == {"model", "endpoint"}


@pytest.mark.parametrize("location", ["global", "us", "eu", "europe-west4"])
def test_locations_and_project_number_or_id(vertex: Vertex, location: str) -> None:
    job = vertex.ok("POST", f"{vertex.parent(location=location)}/tuningJobs", json=job_body())
    assert job["name"].startswith(f"projects/{NUMBER}/locations/{location}/tuningJobs/")
    job_id = job["name"].rsplit("/", 1)[1]
    by_id = vertex.ok("GET", f"/v1/projects/{PROJECT}/locations/{location}/tuningJobs/{job_id}")
    by_number = vertex.ok("GET", f"/v1beta1/{job['name']}")
    assert by_id == by_number


def test_unknown_location_job_and_methods(vertex: Vertex) -> None:
    assert_error(
        vertex.call("GET", "/v1/projects/p/locations/moon/tuningJobs"),
        400,
        "INVALID_ARGUMENT",
        "Location 'moon' is not supported",
    )
    name = vertex.create(job_body())["name"]
    other_region = name.replace(LOCATION, "europe-west4")
    assert_error(vertex.call("GET", f"/v1/{other_region}"), 404, "NOT_FOUND", "not found")
    assert_error(vertex.call("DELETE", f"/v1/{name}"), 404, "NOT_FOUND")
    assert_error(vertex.call("PATCH", f"/v1/{name}", json={}), 404, "NOT_FOUND")


def test_a_retried_create_makes_a_second_job(vertex: Vertex) -> None:
    first = vertex.create(job_body())
    second = vertex.create(job_body())
    assert first["name"] != second["name"]
