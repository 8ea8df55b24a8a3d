"""The shared rules: trigger event validation, transient errors, deterministic ids."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import (
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    ServerError,
    TransportError,
    UnauthenticatedError,
    UnavailableError,
)
from airflow_provider_tunedmodels.tuning_policy import (
    InvalidTriggerEventError,
    deterministic_tuned_model_id,
    deterministic_tuned_model_id_of,
    is_transient_error,
    make_event,
    run_key,
    run_key_of,
    validate_trigger_event,
)

ID_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
DAY = datetime(2025, 1, 1, tzinfo=timezone.utc)


def api_error(cls: type[Any], code: int) -> Exception:
    return cls(http_status=code, status=cls.__name__, message="scripted")  # type: ignore[no-any-return]


# --- events ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["success", "failed", "timeout", "error"])
def test_every_allowed_status_is_accepted(status: str) -> None:
    event = make_event(status, "text", job_name="tunedModels/m")  # type: ignore[arg-type]
    assert validate_trigger_event(event) == event


def test_an_event_written_by_0_1_0_is_read_with_the_neutral_names() -> None:
    event = {
        "status": "success",
        "message": "tunedModels/m is ACTIVE.",
        "tuned_model_name": "tunedModels/m",
        "operation_name": "tunedModels/m/operations/o",
        "state": "ACTIVE",
        "error": None,
    }
    checked = validate_trigger_event(event)
    assert checked["result_name"] == "tunedModels/m"
    assert checked["job_name"] == "tunedModels/m/operations/o"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (None, "without a trigger event"),
        ("success", "got str"),
        ({"status": "SUCCESS", "tuned_model_name": "tunedModels/m"}, "Unknown"),
        ({"status": "done"}, "Unknown"),
        ({}, "Unknown"),
        ({"status": "success"}, "must name the job's result"),
    ],
)
def test_a_missing_or_unknown_event_is_never_a_success(event: object, message: str) -> None:
    with pytest.raises(InvalidTriggerEventError, match=message):
        validate_trigger_event(event)


def test_validation_keeps_only_the_known_keys() -> None:
    event = {"status": "failed", "message": "m", "tuned_model_name": "tunedModels/m", "x": 1}
    assert "x" not in validate_trigger_event(event)


def test_make_event_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="unknown"):
        make_event("done", "text", job_name=None)  # type: ignore[arg-type]


# --- transient errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        api_error(ResourceExhaustedError, 429),
        api_error(ServerError, 500),
        api_error(UnavailableError, 503),
        TransportError("reset", method="GET", url="u", attempts=5),
    ],
)
def test_quota_server_and_network_errors_are_transient(error: Exception) -> None:
    assert is_transient_error(error)


@pytest.mark.parametrize(
    "error",
    [
        api_error(NotFoundError, 404),
        api_error(PermissionDeniedError, 403),
        api_error(UnauthenticatedError, 401),
        ConfigurationError("bad connection"),
        InvalidRequestError("name", ["bad"]),
        ValueError("bug"),
    ],
)
def test_other_errors_are_permanent(error: Exception) -> None:
    assert not is_transient_error(error)


# --- deterministic ids -----------------------------------------------------------------------


def test_the_id_is_stable_readable_and_valid() -> None:
    first = deterministic_tuned_model_id("support_router", "tune", DAY)
    assert first == deterministic_tuned_model_id("support_router", "tune", DAY)
    assert first.startswith("support-router-tune-20250101-")
    assert ID_PATTERN.fullmatch(first)


def test_an_iso_string_and_other_time_zones_give_the_same_id() -> None:
    same_moment = DAY.astimezone(timezone(timedelta(hours=2)))
    expected = deterministic_tuned_model_id("d", "t", DAY)
    assert deterministic_tuned_model_id("d", "t", same_moment) == expected
    assert deterministic_tuned_model_id("d", "t", DAY.isoformat()) == expected


@pytest.mark.parametrize(
    "changed",
    [
        {"dag_id": "other"},
        {"task_id": "other"},
        {"logical_date": DAY + timedelta(hours=1)},
        {"prefix": "router"},
        {"map_index": 3},
    ],
)
def test_any_difference_gives_another_id(changed: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"dag_id": "d", "task_id": "t", "logical_date": DAY}
    assert deterministic_tuned_model_id(**{**arguments, **changed}) != (
        deterministic_tuned_model_id(**arguments)
    )


@pytest.mark.parametrize(
    ("dag_id", "task_id", "prefix"),
    [
        ("a" * 250, "b" * 250, None),
        ("9_numbers_first", "group.task", None),
        ("Ünïcode DAG", "tâche", None),
        ("d", "t", "--Support Router--"),
        ("d", "t", "42"),
        ("___", "...", None),
    ],
)
def test_any_input_gives_a_valid_id(dag_id: str, task_id: str, prefix: str | None) -> None:
    tuned_model_id = deterministic_tuned_model_id(dag_id, task_id, DAY, prefix)
    assert ID_PATTERN.fullmatch(tuned_model_id), tuned_model_id
    assert len(tuned_model_id) <= 40


def test_runs_without_a_logical_date_use_the_run_id() -> None:
    first = deterministic_tuned_model_id("d", "t", None, run_id="manual__1")
    assert first == deterministic_tuned_model_id("d", "t", None, run_id="manual__1")
    assert first != deterministic_tuned_model_id("d", "t", None, run_id="manual__2")
    assert ID_PATTERN.fullmatch(first)
    with pytest.raises(ValueError, match="run_id"):
        deterministic_tuned_model_id("d", "t", None)


class _Task:
    dag_id = "support_router"
    task_id = "tune"


class _TaskInstance:
    def __init__(self, map_index: int | None) -> None:
        self.map_index = map_index


@pytest.mark.parametrize("map_index", [None, 3])
def test_a_tasks_id_and_run_key_name_the_run_of_its_context(map_index: int | None) -> None:
    context = {"ti": _TaskInstance(map_index), "logical_date": DAY, "run_id": "scheduled__1"}
    expected_index = -1 if map_index is None else map_index
    names = ("support_router", "tune", DAY)
    run = {"run_id": "scheduled__1", "map_index": expected_index}
    assert deterministic_tuned_model_id_of(_Task(), context) == deterministic_tuned_model_id(
        *names, **run
    )
    assert run_key_of(_Task(), context) == run_key(*names, **run)
    assert run_key_of(_Task(), context).endswith(f"/{expected_index}")
