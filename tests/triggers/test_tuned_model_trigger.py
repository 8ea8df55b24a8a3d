"""The trigger polls asynchronously, logs progress, and yields exactly one allow-listed event."""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger
from airflow_provider_tunedmodels.tuning_policy import TRIGGER_EVENT_STATUSES
from tests.support.tuning_fakes import (
    API_KEY,
    MODEL,
    OPERATION,
    FakeClock,
    error,
    finished_operation,
    model_json,
    running_operation,
)

OPERATION_URL = f"/v1beta/{OPERATION}"
MODEL_URL = f"/v1beta/{MODEL}"


def make_trigger(**overrides: Any) -> TuningJobTrigger:
    """A trigger whose log goes to a standard logger, so ``caplog`` sees it."""
    kwargs: dict[str, Any] = {
        "job_name": OPERATION,
        "conn_id": "tuning_conn",
        "poll_interval": 30.0,
        "end_time": None,
    }
    kwargs.update(overrides)
    trigger = TuningJobTrigger(**kwargs)
    trigger._log = logging.getLogger("tests.tuned_model_trigger")
    return trigger


async def collect(trigger: TuningJobTrigger) -> list[dict[str, Any]]:
    """Every event's payload; the trigger must stop by itself after its event."""
    return [event.payload async for event in trigger.run()]


async def only_event(trigger: TuningJobTrigger) -> dict[str, Any]:
    events = await collect(trigger)
    assert len(events) == 1
    assert events[0]["status"] in TRIGGER_EVENT_STATUSES
    return events[0]


# --- serialization ---------------------------------------------------------------------------


def test_serialize_round_trips_with_primitives_only() -> None:
    trigger = make_trigger(end_time=1_800_000_000.5, cancel_on_kill=True)
    classpath, kwargs = trigger.serialize()
    module_name, class_name = classpath.rsplit(".", 1)
    assert getattr(importlib.import_module(module_name), class_name) is TuningJobTrigger
    json.dumps(kwargs)  # JSON-safe: only primitives
    assert kwargs == {
        "job_name": OPERATION,
        "conn_id": "tuning_conn",
        "hook_class_path": "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook",
        "poll_interval": 30.0,
        "end_time": 1_800_000_000.5,
        "cancel_on_kill": True,
        "max_consecutive_failures": 5,
        "run_timeout": None,
    }
    assert TuningJobTrigger(**kwargs).serialize() == (classpath, kwargs)


#: A trigger row as 0.1.0 stored it for a deferred create task (class path and kwargs).
ROW_FROM_0_1_0 = (
    "airflow_provider_tunedmodels.triggers.tuned_model.TunedModelTrigger",
    {
        "tuned_model_name": MODEL,
        "operation_name": OPERATION,
        "gemini_conn_id": "tuning_conn",
        "poll_interval": 30.0,
        "end_time": None,
        "cancel_on_kill": False,
        "max_consecutive_failures": 5,
    },
)


async def test_a_trigger_row_written_by_0_1_0_is_deserialized_and_runs(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[Any]
) -> None:
    from airflow.models.trigger import Trigger

    classpath, kwargs = ROW_FROM_0_1_0
    row = Trigger(classpath=classpath, kwargs=kwargs)  # encrypted and read back as Airflow does
    module_name, class_name = row.classpath.rsplit(".", 1)  # as the triggerer imports it
    rebuilt = getattr(importlib.import_module(module_name), class_name)(**row.kwargs)
    assert isinstance(rebuilt, TuningJobTrigger)
    assert (rebuilt.job_name, rebuilt.conn_id) == (OPERATION, "tuning_conn")
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    event = await only_event(rebuilt)
    assert (event["status"], event["result_name"]) == ("success", MODEL)
    assert [hook.conn_id for hook in built_hooks] == ["tuning_conn"]


def test_serialized_trigger_holds_no_credential(built_hooks: list[GeminiTunedModelsHook]) -> None:
    trigger = make_trigger()
    assert API_KEY not in json.dumps(trigger.serialize()[1])
    assert API_KEY not in repr(trigger)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"poll_interval": 0}, "poll_interval"), ({"max_consecutive_failures": 0}, "failures")],
)
def test_invalid_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_trigger(**kwargs)


# --- success, progress, failure --------------------------------------------------------------


async def test_polls_the_operation_until_done_and_logs_progress(
    api: respx.MockRouter,
    clock: FakeClock,
    built_hooks: list[GeminiTunedModelsHook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = api.get(OPERATION_URL).mock(
        side_effect=[
            httpx.Response(200, json=running_operation(3, loss=0.5)),
            httpx.Response(200, json=running_operation(7, loss=0.25)),
            httpx.Response(200, json=finished_operation()),
        ]
    )
    with caplog.at_level(logging.INFO):
        event = await only_event(make_trigger())
    assert event == {
        "status": "success",
        "message": f"{MODEL} is ACTIVE.",
        "job_name": OPERATION,
        "result_name": MODEL,
        "state": "ACTIVE",
        "error": None,
    }
    assert route.call_count == 3
    assert clock.sleeps == [30.0, 30.0]
    assert "step 3/10, 30.0%, epoch 1, mean loss 0.5000" in caplog.text
    assert "step 7/10, 70.0%, epoch 1, mean loss 0.2500" in caplog.text


async def test_polls_the_model_when_no_operation_is_known(
    api: respx.MockRouter,
    clock: FakeClock,
    built_hooks: list[GeminiTunedModelsHook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    api.get(MODEL_URL).mock(
        side_effect=[
            httpx.Response(200, json=model_json("CREATING", steps=2)),
            httpx.Response(200, json=model_json("ACTIVE", steps=4)),
        ]
    )
    with caplog.at_level(logging.INFO):
        event = await only_event(make_trigger(job_name=MODEL))
    assert (event["status"], event["state"]) == ("success", "ACTIVE")
    assert "state CREATING, step 2, epoch 1, mean loss 0.5000" in caplog.text


async def test_a_failed_operation_gives_a_failed_event_with_the_error(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(OPERATION_URL).mock(
        return_value=httpx.Response(200, json=finished_operation("tuning diverged"))
    )
    event = await only_event(make_trigger())
    assert event["status"] == "failed"
    assert event["state"] == "FAILED"
    assert event["error"] == {"code": 13, "status": "INTERNAL", "message": "tuning diverged"}
    assert "tuning diverged" in event["message"]


async def test_a_failed_model_gives_the_error_of_its_latest_operation(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("FAILED")))
    api.get(f"{MODEL_URL}/operations").mock(
        return_value=httpx.Response(200, json={"operations": [finished_operation("out of memory")]})
    )
    event = await only_event(make_trigger(job_name=MODEL))
    assert (event["status"], event["job_name"]) == ("failed", OPERATION)
    assert event["error"]["message"] == "out of memory"


async def test_an_operation_the_server_forgot_falls_back_to_the_model(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(OPERATION_URL).mock(return_value=error(404, "NOT_FOUND"))
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("ACTIVE")))
    assert (await only_event(make_trigger()))["status"] == "success"


# --- transient and permanent errors ----------------------------------------------------------


async def test_transient_errors_are_tolerated_with_growing_waits(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    route = api.get(OPERATION_URL).mock(
        side_effect=[
            error(503, "UNAVAILABLE"),
            error(429, "RESOURCE_EXHAUSTED"),
            httpx.ConnectError("connection refused"),
            httpx.Response(200, json=finished_operation()),
        ]
    )
    event = await only_event(make_trigger(poll_interval=10.0))
    assert event["status"] == "success"
    assert route.call_count == 4
    assert clock.sleeps == [10.0, 20.0, 40.0]


async def test_a_success_resets_the_count_of_failures_in_a_row(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(OPERATION_URL).mock(
        side_effect=[
            error(500, "INTERNAL"),
            httpx.Response(200, json=running_operation(1)),
            error(500, "INTERNAL"),
            httpx.Response(200, json=finished_operation()),
        ]
    )
    event = await only_event(make_trigger(poll_interval=10.0, max_consecutive_failures=2))
    assert event["status"] == "success"
    assert clock.sleeps == [10.0, 10.0, 10.0]


async def test_too_many_transient_errors_in_a_row_give_an_error_event(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    route = api.get(OPERATION_URL).mock(return_value=error(503, "UNAVAILABLE"))
    event = await only_event(make_trigger(max_consecutive_failures=3))
    assert event["status"] == "error"
    assert "3 times in a row" in event["message"]
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("code", "status"),
    [(404, "NOT_FOUND"), (403, "PERMISSION_DENIED"), (401, "UNAUTHENTICATED")],
)
async def test_permanent_errors_end_the_wait_at_once(
    api: respx.MockRouter,
    clock: FakeClock,
    built_hooks: list[GeminiTunedModelsHook],
    code: int,
    status: str,
) -> None:
    api.get(OPERATION_URL).mock(return_value=error(404, "NOT_FOUND"))
    route = api.get(MODEL_URL).mock(return_value=error(code, status, f"scripted {API_KEY}"))
    event = await only_event(make_trigger())
    assert event["status"] == "error"
    assert status in event["message"]
    assert API_KEY not in json.dumps(event)
    assert route.call_count == 1
    assert clock.sleeps == []


async def test_an_unusable_connection_gives_an_error_event(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_BROKEN_TUNING",
        json.dumps({"conn_type": "gemini_tuned_models", "host": "ftp://x"}),
    )
    event = await only_event(make_trigger(conn_id="broken_tuning"))
    assert event["status"] == "error"
    assert "broken_tuning" in event["message"]
    assert "not an http(s) URL" in event["message"]


# --- deadline --------------------------------------------------------------------------------


async def test_the_wall_clock_deadline_gives_a_timeout_event_after_a_last_poll(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    route = api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(4)))
    event = await only_event(make_trigger(end_time=clock.now + 100))
    assert event["status"] == "timeout"
    assert event["state"] == "CREATING"
    assert "step 4/10" in event["message"]
    assert clock.sleeps == [30.0, 30.0, 30.0, 10.0]
    assert route.call_count == 5


async def test_a_trigger_recreated_after_its_deadline_polls_once_then_times_out(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    route = api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=running_operation(4)))
    event = await only_event(make_trigger(end_time=clock.now - 1))
    assert event["status"] == "timeout"
    assert route.call_count == 1
    assert clock.sleeps == []


async def test_a_job_that_finished_by_the_deadline_is_a_success(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    assert (await only_event(make_trigger(end_time=clock.now - 1)))["status"] == "success"


# --- sharing connections, running twice ------------------------------------------------------


async def test_concurrent_triggers_share_one_hook_per_connection_and_release_it(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    from airflow_provider_tunedmodels.triggers.hook_pool import active_hook_count

    answers = [running_operation(1)] * 5 + [finished_operation()] * 5
    api.get(OPERATION_URL).mock(
        side_effect=[httpx.Response(200, json=answer) for answer in answers]
    )
    events = await asyncio.gather(*(only_event(make_trigger()) for _ in range(5)))
    assert [event["status"] for event in events] == ["success"] * 5
    assert len(built_hooks) == 1
    assert built_hooks[0]._async_client is None  # closed when the last trigger finished
    assert active_hook_count() == 0


async def test_older_objects_stay_out_of_full_collections_while_triggers_wait(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from airflow_provider_tunedmodels.triggers import hook_pool

    gc.unfreeze()
    frozen_at_each_poll: list[int] = []

    class FreezeObservingHook(ScriptedHook):
        async def aread_job_status(self, job_name: str) -> Any:
            frozen_at_each_poll.append(gc.get_freeze_count())
            return await super().aread_job_status(job_name)

    readings = [reading("running", None)] * 2 + [reading("succeeded", clock.now)]
    monkeypatch.setattr(hook_pool, "hook_factory", lambda cls, conn: FreezeObservingHook(readings))
    assert (await only_event(make_trigger()))["status"] == "success"
    assert len(frozen_at_each_poll) == 3
    assert all(count > 0 for count in frozen_at_each_poll)
    assert gc.get_freeze_count() == 0  # handed back once no trigger waits


async def test_running_the_same_trigger_twice_gives_the_same_event(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(OPERATION_URL).mock(return_value=httpx.Response(200, json=finished_operation()))
    first, second = make_trigger(), make_trigger()
    assert await only_event(first) == await only_event(second)


# --- cancel on kill --------------------------------------------------------------------------


async def test_on_kill_cancels_a_creating_job_through_the_v1_method(
    api: respx.MockRouter, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("CREATING")))
    cancel = api.post(f"/v1/{OPERATION}:cancel").mock(return_value=httpx.Response(200, json={}))
    delete = api.delete(MODEL_URL).mock(return_value=httpx.Response(200, json={}))
    await make_trigger(cancel_on_kill=True).on_kill()
    assert cancel.call_count == 1
    assert delete.call_count == 0


async def test_on_kill_deletes_a_creating_model_that_cannot_be_cancelled(
    api: respx.MockRouter, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json("CREATING")))
    api.post(f"/v1/{OPERATION}:cancel").mock(return_value=error(501, "UNIMPLEMENTED"))
    delete = api.delete(MODEL_URL).mock(return_value=httpx.Response(200, json={}))
    await make_trigger(cancel_on_kill=True).on_kill()
    assert delete.call_count == 1


@pytest.mark.parametrize("state", ["ACTIVE", "FAILED"])
async def test_on_kill_leaves_a_finished_model_alone(
    api: respx.MockRouter, built_hooks: list[GeminiTunedModelsHook], state: str
) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json(state)))
    cancel = api.post(f"/v1/{OPERATION}:cancel").mock(return_value=httpx.Response(200, json={}))
    delete = api.delete(MODEL_URL).mock(return_value=httpx.Response(200, json={}))
    await make_trigger(cancel_on_kill=True).on_kill()
    assert (cancel.call_count, delete.call_count) == (0, 0)


async def test_on_kill_does_nothing_unless_asked(
    api: respx.MockRouter, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    await make_trigger(cancel_on_kill=False).on_kill()
    assert api.calls.call_count == 0
    assert built_hooks == []


@pytest.mark.parametrize("state", ["STATE_UNSPECIFIED", "PAUSED", "SOMETHING_NEW"])
async def test_a_state_outside_the_closed_map_is_an_error_event_not_a_wait(
    api: respx.MockRouter, clock: FakeClock, built_hooks: list[GeminiTunedModelsHook], state: str
) -> None:
    api.get(MODEL_URL).mock(return_value=httpx.Response(200, json=model_json(state)))
    event = await only_event(make_trigger(job_name=MODEL))
    assert event["status"] == "error"
    assert state in event["message"]
    assert clock.sleeps == []


class ScriptedHook:
    """A backend whose job readings are scripted (for deadline arithmetic only)."""

    def __init__(self, readings: list[Any]) -> None:
        self.readings = readings

    async def aget_client(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def aread_job_status(self, job_name: str) -> Any:
        return self.readings.pop(0)


def reading(outcome: str, started_at: float | None) -> Any:
    from airflow_provider_tunedmodels.hooks.base import JobStatus

    return JobStatus(outcome, "jobs/1", "jobs/1", "STATE", "progress", None, started_at)  # type: ignore[arg-type]


async def test_time_waiting_for_quota_does_not_count_against_the_run_timeout(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_tunedmodels.triggers import hook_pool

    start = clock.now
    # Waits 50 s for quota (more than the 40 s run timeout), starts, then succeeds.
    readings = [reading("running", None)] * 6 + [reading("running", start + 50)] * 3
    readings.append(reading("succeeded", start + 50))
    monkeypatch.setattr(hook_pool, "hook_factory", lambda cls, conn: ScriptedHook(readings))
    trigger = make_trigger(poll_interval=10.0, end_time=start + 3600, run_timeout=40.0)
    event = await only_event(trigger)
    assert event["status"] == "success"


async def test_the_run_timeout_counts_from_the_jobs_start(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_tunedmodels.triggers import hook_pool

    start = clock.now
    readings = [reading("running", None)] * 3 + [reading("running", start + 20)] * 20
    monkeypatch.setattr(hook_pool, "hook_factory", lambda cls, conn: ScriptedHook(readings))
    trigger = make_trigger(poll_interval=10.0, end_time=start + 3600, run_timeout=40.0)
    event = await only_event(trigger)
    assert event["status"] == "timeout"
    assert clock.now == pytest.approx(start + 60)


async def test_on_kill_cancelled_again_by_the_triggerer_still_cancels_the_job(
    api: respx.MockRouter, built_hooks: list[GeminiTunedModelsHook]
) -> None:
    # The triggerer cancels a trigger once per loop while it is listed for cancelling, which
    # can be while on_kill still waits for its answer.
    answered = asyncio.Event()
    release = asyncio.Event()

    async def slow_model(request: httpx.Request) -> httpx.Response:
        answered.set()
        await release.wait()
        return httpx.Response(200, json=model_json("CREATING"))

    api.get(MODEL_URL).mock(side_effect=slow_model)
    cancel = api.post(f"/v1/{OPERATION}:cancel").mock(return_value=httpx.Response(200, json={}))
    killing = asyncio.ensure_future(make_trigger(cancel_on_kill=True).on_kill())
    await answered.wait()
    killing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await killing
    release.set()
    for _ in range(100):  # the shielded request goes on after on_kill was cancelled
        if cancel.call_count:
            break
        await asyncio.sleep(0.01)
    assert cancel.call_count == 1
