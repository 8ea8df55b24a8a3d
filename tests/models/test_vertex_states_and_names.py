"""The closed state map, the progress line, and the resource-name parsers."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.vertex import (
    JobState,
    TuningJob,
    classify_tuning_job,
    describe_tuning_progress,
    parse_endpoint_name,
    parse_model_name,
    parse_operation_name,
    parse_publisher_model_name,
    parse_tuning_job_name,
)

NAME = "projects/p/locations/us-central1/tuningJobs/123"
ENDPOINT = "projects/p/locations/us-central1/endpoints/456"


def job(state: Any, **fields: Any) -> TuningJob:
    return TuningJob.model_validate({"name": NAME, "state": state, **fields})


def test_succeeded_with_an_endpoint_is_a_success() -> None:
    verdict = classify_tuning_job(
        job("JOB_STATE_SUCCEEDED", tunedModel={"model": "m@1", "endpoint": ENDPOINT})
    )
    assert verdict.outcome == "succeeded"
    assert verdict.finished
    assert ENDPOINT in verdict.reason


def test_succeeded_without_an_endpoint_is_unexpected_not_a_success() -> None:
    verdict = classify_tuning_job(job("JOB_STATE_SUCCEEDED", tunedModel={"model": "m@1"}))
    assert verdict.outcome == "unexpected"
    assert "no tuned model endpoint (model m@1)" in verdict.reason


@pytest.mark.parametrize("state", ["JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"])
def test_failed_states_carry_the_jobs_error(state: str) -> None:
    verdict = classify_tuning_job(job(state, error={"code": 13, "message": "endpoint failed"}))
    assert verdict.outcome == "failed"
    assert (verdict.error_code, verdict.error_message) == (13, "endpoint failed")
    assert verdict.error_status == "INTERNAL"
    assert f"ended {state} (INTERNAL: endpoint failed)" in verdict.reason


def test_a_failed_job_without_an_error_still_fails() -> None:
    verdict = classify_tuning_job(job("JOB_STATE_EXPIRED"))
    assert verdict.outcome == "failed"
    assert verdict.error_code is None
    assert "(no error given)" in verdict.reason


@pytest.mark.parametrize(
    "state", ["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING"]
)
def test_running_states(state: str) -> None:
    verdict = classify_tuning_job(job(state))
    assert verdict.outcome == "running"
    assert not verdict.finished


@pytest.mark.parametrize(
    "state",
    [
        "JOB_STATE_UNSPECIFIED",
        "JOB_STATE_PAUSED",
        "JOB_STATE_UPDATING",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
        42,
        "JOB_STATE_HIBERNATING",
        "RUNNING",
        None,
    ],
)
def test_everything_else_is_unexpected(state: Any) -> None:
    verdict = classify_tuning_job(job(state))
    assert verdict.outcome == "unexpected"
    assert verdict.finished


def test_enum_numbers_are_states_by_their_proto_number() -> None:
    assert classify_tuning_job(job(3)).outcome == "running"
    assert job(4).state is JobState.JOB_STATE_SUCCEEDED


def test_every_state_name_has_exactly_one_outcome() -> None:
    outcomes = {s.value: classify_tuning_job(job(s.value)).outcome for s in JobState}
    assert sorted(s for s, o in outcomes.items() if o == "running") == [
        "JOB_STATE_CANCELLING",
        "JOB_STATE_PENDING",
        "JOB_STATE_QUEUED",
        "JOB_STATE_RUNNING",
    ]
    assert len(outcomes) == 12


def test_progress_line() -> None:
    running = job(
        "JOB_STATE_RUNNING",
        tuningJobState="TUNING_JOB_STATE_TUNING",
        tuningJobMetadata={"completedEpochCount": "2", "completedStepCount": "40"},
        tunedModel={"checkpoints": [{"checkpointId": "1"}, {"checkpointId": "2"}]},
    )
    assert describe_tuning_progress(running) == (
        "JOB_STATE_RUNNING, TUNING_JOB_STATE_TUNING, epoch 2 done, step 40 done, 2 checkpoints"
    )
    assert describe_tuning_progress(TuningJob()) == "no state"


def test_resource_names_parse_into_their_parts() -> None:
    name = parse_tuning_job_name(NAME)
    assert (name.project, name.location, name.tuning_job) == ("p", "us-central1", "123")
    assert name.parent == "projects/p/locations/us-central1"
    assert str(name) == NAME
    model = parse_model_name("projects/p/locations/l/models/9@default")
    assert (model.model, model.version, model.unversioned) == (
        "9",
        "default",
        "projects/p/locations/l/models/9",
    )
    assert parse_model_name("projects/p/locations/l/models/9").version is None
    assert parse_endpoint_name(ENDPOINT).endpoint == "456"
    publisher = parse_publisher_model_name(
        "projects/p/locations/global/publishers/google/models/gemini-2.5-flash"
    )
    assert (publisher.publisher, publisher.model) == ("google", "gemini-2.5-flash")
    operation = parse_operation_name(f"{NAME}/operations/77")
    assert (operation.tuning_job, operation.operation) == ("123", "77")
    assert str(operation) == f"{NAME}/operations/77"
    assert parse_operation_name("projects/p/locations/l/operations/8").tuning_job is None


@pytest.mark.parametrize(
    ("parse", "bad", "expected"),
    [
        (parse_tuning_job_name, "123", "projects/{project}/locations/{location}/tuningJobs/"),
        (parse_tuning_job_name, f"{NAME}/operations/1", "tuningJobs/{tuning_job}"),
        (parse_tuning_job_name, f"/{NAME}", "tuningJobs/{tuning_job}"),
        (parse_model_name, "projects/p/locations/l/models/9@1@2", "@{version_id} or @{alias}"),
        (parse_endpoint_name, "projects/p/locations/l/models/9", "endpoints/{endpoint}"),
        (parse_publisher_model_name, "gemini-2.5-flash", "publishers/google/models/{model}"),
        (parse_operation_name, f"{NAME}:cancel", "operations/{operation}"),
    ],
)
def test_wrong_names_say_what_was_expected(parse: Any, bad: str, expected: str) -> None:
    with pytest.raises(InvalidRequestError) as exc:
        parse(bad)
    assert repr(bad) in exc.value.problems[0]
    assert expected in exc.value.problems[0]
