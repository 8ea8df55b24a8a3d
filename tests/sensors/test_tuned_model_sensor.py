"""The sensor waits for ACTIVE in poke, reschedule and deferrable mode; FAILED fails or skips."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels._compat import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)
from airflow_provider_tunedmodels.assets import tuned_model_asset
from airflow_provider_tunedmodels.core.errors import NotFoundError
from airflow_provider_tunedmodels.sensors import TunedModelSensor
from airflow_provider_tunedmodels.triggers import TuningJobTrigger
from airflow_provider_tunedmodels.tuning_policy import (
    InvalidTriggerEventError,
    TuningWaitError,
    make_event,
)
from tests.support.tuning_fakes import (
    BASE_URL,
    MODEL,
    OPERATION,
    error,
    fake_api_hook,
    finished_operation,
    make_context,
    model_json,
    running_operation,
)

OPERATION_URL = f"/v1beta/{OPERATION}"
MODEL_URL = f"/v1beta/{MODEL}"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def make_sensor(**overrides: Any) -> TunedModelSensor:
    """A sensor bound to the respx routes, logging to a standard logger."""
    kwargs: dict[str, Any] = {
        "task_id": "wait",
        "tuned_model_name": MODEL,
        "operation_name": OPERATION,
        "poke_interval": 0,
        "timeout": 3600,
        "deferrable": False,
    }
    kwargs.update(overrides)
    sensor = TunedModelSensor(**kwargs)
    sensor.__dict__["hook"] = fake_api_hook()
    sensor._cached_logger = logging.getLogger("tests.tuned_model_sensor")
    return sensor


def event(status: str, **fields: Any) -> dict[str, Any]:
    return dict(make_event(status, f"scripted {status}", job_name=MODEL, **fields))  # type: ignore[arg-type]


def test_needs_a_model_or_an_operation() -> None:
    with pytest.raises(ValueError, match="tuned_model_name, operation_name"):
        TunedModelSensor(task_id="wait")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"tuned_model_name": "tunedModels/m1/permissions/p1"},
            "tuned_model_name: 'tunedModels/m1/permissions/p1' is the name of a permission",
        ),
        (
            {"operation_name": "tunedModels/m1"},
            "operation_name: 'tunedModels/m1' is the name of a tuned model",
        ),
    ],
)
def test_a_literal_name_of_another_kind_fails_when_the_dag_is_parsed(
    kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TunedModelSensor(task_id="wait", **kwargs)
    TunedModelSensor(task_id="wait", tuned_model_name="{{ ti.xcom_pull(task_ids='t') }}")


def test_template_fields() -> None:
    assert set(TunedModelSensor.template_fields) == {"tuned_model_name", "operation_name"}


# --- poke ------------------------------------------------------------------------------------


def test_a_running_job_is_not_done_and_its_progress_is_logged(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(2)))
    with caplog.at_level(logging.INFO):
        assert not make_sensor().poke(make_context())
    assert "step 2/10, 20.0%" in caplog.text


def test_an_active_model_is_returned_and_put_on_tuned_model_asset_events(
    api: respx.MockRouter,
) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    family = tuned_model_asset("router")
    context = make_context()
    done = make_sensor(outlets=[family]).poke(context)
    assert done.is_done
    assert done.xcom_value["name"] == MODEL
    assert done.xcom_value["state"] == "ACTIVE"
    assert context["outlet_events"][family].extra["tuned_model"] == MODEL


def test_the_operation_alone_names_the_model(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    done = make_sensor(tuned_model_name=None).poke(make_context())
    assert done.xcom_value["name"] == MODEL


def test_a_failed_job_fails_the_task_with_its_error(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(
        return_value=httpx.Response(200, json=finished_operation("loss became NaN"))
    )
    with pytest.raises(AirflowFailException, match="INTERNAL: loss became NaN"):
        make_sensor().poke(make_context())


def test_a_failed_job_skips_the_task_with_soft_fail(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation("x")))
    with pytest.raises(AirflowSkipException):
        make_sensor(soft_fail=True).execute(make_context())


def test_a_missing_model_is_an_error(api: respx.MockRouter) -> None:
    api.get(MODEL_URL).mock(return_value=error(404, "NOT_FOUND"))
    with pytest.raises(NotFoundError):
        make_sensor(operation_name=None).execute(make_context())


def test_poke_mode_times_out(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(1)))
    with pytest.raises(AirflowSensorTimeout):
        make_sensor(timeout=0).execute(make_context())


def test_poke_mode_waits_until_active(api: respx.MockRouter) -> None:
    route = api.get(OPERATION_URL).mock(
        side_effect=[
            httpx.Response(200, json=running_operation(1)),
            httpx.Response(200, json=finished_operation()),
        ]
    )
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    assert make_sensor().execute(make_context())["name"] == MODEL
    assert route.call_count == 2


def test_reschedule_mode_frees_the_worker_between_pokes(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(1)))
    with pytest.raises(AirflowRescheduleException):
        make_sensor(mode="reschedule", poke_interval=60).execute(make_context())


# --- deferrable ------------------------------------------------------------------------------


def test_deferrable_mode_hands_the_wait_to_the_trigger(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(1)))
    sensor = make_sensor(deferrable=True, poke_interval=45, timeout=600)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(make_context())
    after = time.time()
    trigger = deferred.value.trigger
    assert isinstance(trigger, TuningJobTrigger)
    assert deferred.value.method_name == "execute_complete"
    kwargs = trigger.serialize()[1]
    assert (kwargs["job_name"], kwargs["conn_id"]) == (OPERATION, sensor.conn_id)
    assert kwargs["poll_interval"] == 45
    assert before + 600 <= kwargs["end_time"] <= after + 600


def test_deferrable_mode_does_not_defer_for_a_model_already_active(api: respx.MockRouter) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    assert make_sensor(deferrable=True).execute(make_context())["state"] == "ACTIVE"


def test_resuming_with_success_returns_the_model(api: respx.MockRouter) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    result = make_sensor(deferrable=True).execute_complete(make_context(), event("success"))
    assert result["name"] == MODEL


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        ("failed", AirflowFailException),
        ("timeout", AirflowSensorTimeout),
        ("error", TuningWaitError),
    ],
)
def test_resuming_with_a_bad_outcome_raises(status: str, raised: type[Exception]) -> None:
    with pytest.raises(raised, match=f"scripted {status}"):
        make_sensor(deferrable=True).execute_complete(make_context(), event(status))


@pytest.mark.parametrize("bad_event", [None, {"status": "done"}, "success"])
def test_resuming_with_an_invalid_event_fails_loudly(bad_event: Any) -> None:
    with pytest.raises(InvalidTriggerEventError):
        make_sensor(deferrable=True).execute_complete(make_context(), bad_event)


@pytest.mark.parametrize("status", ["failed", "timeout"])
def test_soft_fail_skips_on_a_failed_or_timed_out_resume(status: str) -> None:
    sensor = make_sensor(deferrable=True, soft_fail=True)
    with pytest.raises(AirflowSkipException):
        sensor.resume_execution("execute_complete", {"event": event(status)}, make_context())


def test_soft_fail_does_not_hide_an_invalid_event() -> None:
    sensor = make_sensor(deferrable=True, soft_fail=True)
    with pytest.raises(InvalidTriggerEventError):
        sensor.resume_execution("execute_complete", {"event": None}, make_context())
