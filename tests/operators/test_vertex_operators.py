"""The Vertex AI operators and sensor against the bundled emulator: every path of a tuning task.

Re-attach on retry and rerun, replace, fail, the cost guard, failed and cancelled
jobs, deferral through the trigger, the worker-side wait, promotion (default
checkpoint) and evaluation on the tuned endpoint.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_tunedmodels._compat import AirflowFailException, TaskDeferred
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.operators.vertex_models import (
    UpdateVertexModelOperator,
    VertexEvaluateOperator,
)
from airflow_provider_tunedmodels.operators.vertex_tuning import (
    CancelTuningJobOperator,
    CreateTuningJobOperator,
)
from airflow_provider_tunedmodels.sensors.vertex_tuning import VertexTuningJobSensor
from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger
from airflow_provider_tunedmodels.tuning_policy import TuningWaitError
from tests.support.tuning_fakes import make_context

DATASET = "gs://tuning-data/tickets.jsonl"
CONN_ID = "vertex_emulator"
PROJECT = "emulator-project"
EXAMPLES = [(f"ticket {n}: please refund my order", "billing") for n in range(6)] + [
    (f"ticket {n}: the app crashes on start", "technical") for n in range(6)
]


def dataset_text(examples: list[tuple[str, str]] = EXAMPLES) -> str:
    lines = [
        {
            "contents": [
                {"role": "user", "parts": [{"text": prompt}]},
                {"role": "model", "parts": [{"text": answer}]},
            ]
        }
        for prompt, answer in examples
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


@pytest.fixture(scope="module")
def vertex_emulator() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=0.05, seed=3) as running:
        yield running


@pytest.fixture
def emulator(vertex_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    vertex_emulator.reset()
    vertex_emulator.put_object(DATASET, dataset_text())
    connection = {
        "conn_type": "vertex_ai_tuning",
        "host": vertex_emulator.base_url,
        "extra": {
            "project": PROJECT,
            "location": "us-central1",
            "keyfile_dict": json.dumps(vertex_emulator.service_account_info()),
        },
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
    return vertex_emulator


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[VertexTuningJobsHook]:
    settings = ClientSettings(
        base_url=emulator.base_url,
        service_account_info=emulator.service_account_info(),
        project=PROJECT,
        location="us-central1",
        retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
    )
    hook = VertexTuningJobsHook(settings=settings)
    yield hook
    hook.close()


def tune(hook: VertexTuningJobsHook, **overrides: Any) -> CreateTuningJobOperator:
    kwargs: dict[str, Any] = {
        "task_id": "tune",
        "conn_id": CONN_ID,
        "training_dataset": DATASET,
        "base_model": "gemini-2.5-flash",
        "hyperparameters": {"epoch_count": 2, "adapter_size": 4},
        "poll_interval": 0.05,
        "timeout": 120,
        "deferrable": False,
    }
    kwargs.update(overrides)
    operator = CreateTuningJobOperator(**kwargs)
    operator.__dict__["hook"] = hook
    return operator


def job_names(hook: VertexTuningJobsHook) -> list[str]:
    return sorted(str(job.name) for job in hook.iter_tuning_jobs())


def run_trigger(trigger: TuningJobTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


# --- create and wait on the worker -----------------------------------------------------------


def test_tunes_pushes_names_before_waiting_and_returns_the_endpoint(
    hook: VertexTuningJobsHook,
) -> None:
    context = make_context()
    result = tune(hook).execute(context)
    assert result["state"] == "JOB_STATE_SUCCEEDED"
    assert result["endpoint"].startswith("projects/")
    assert "/endpoints/" in result["endpoint"]
    assert result["tuned_model"].endswith("@1")
    pushed = [key for key, _ in context["ti"].pushed]
    assert pushed[:3] == ["billing_estimate", "tuning_job_name", "tuning_job_url"]
    assert context["ti"].xcoms["tuning_job_name"] == result["name"]
    json.dumps(result)  # JSON-safe


def test_the_billing_estimate_equals_the_jobs_data_statistics(
    hook: VertexTuningJobsHook,
) -> None:
    context = make_context()
    result = tune(hook).execute(context)
    estimate = context["ti"].xcoms["billing_estimate"]
    stats = result["tuning_data_stats"]["supervisedTuningDataStats"]
    assert estimate["tokens_per_epoch"] == int(stats["totalBillableTokenCount"])
    assert estimate["total_billable_tokens"] == 2 * int(stats["totalBillableTokenCount"])


def test_a_retry_of_the_same_run_reattaches_instead_of_creating_a_second_job(
    hook: VertexTuningJobsHook,
) -> None:
    first = tune(hook).execute(make_context())
    again = tune(hook).execute(make_context())
    assert again["name"] == first["name"]
    assert job_names(hook) == [first["name"]]


def test_a_rerun_with_other_settings_is_refused_not_adopted(hook: VertexTuningJobsHook) -> None:
    tune(hook).execute(make_context())
    changed = tune(hook, hyperparameters={"epoch_count": 3, "adapter_size": 4})
    with pytest.raises(AirflowFailException, match="if_exists='replace'"):
        changed.execute(make_context())
    assert len(job_names(hook)) == 1


def test_replace_starts_a_new_job_for_the_changed_request(hook: VertexTuningJobsHook) -> None:
    first = tune(hook).execute(make_context())
    replaced = tune(
        hook, if_exists="replace", hyperparameters={"epoch_count": 3, "adapter_size": 4}
    ).execute(make_context())
    assert replaced["name"] != first["name"]
    assert replaced["state"] == "JOB_STATE_SUCCEEDED"
    assert len(job_names(hook)) == 2


def test_if_exists_fail_refuses_a_run_that_already_has_a_job(hook: VertexTuningJobsHook) -> None:
    tune(hook).execute(make_context())
    with pytest.raises(AirflowFailException, match="if_exists='fail'"):
        tune(hook, if_exists="fail").execute(make_context())


def test_the_cost_guard_refuses_before_anything_is_submitted(hook: VertexTuningJobsHook) -> None:
    context = make_context()
    with pytest.raises(AirflowFailException, match="max_billable_tokens=10"):
        tune(hook, max_billable_tokens=10).execute(context)
    assert job_names(hook) == []
    assert context["ti"].xcoms["billing_estimate"]["total_billable_tokens"] > 10


def test_a_failed_job_fails_the_task_with_its_error(
    hook: VertexTuningJobsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_dataset_failure=1.0)
    with pytest.raises(AirflowFailException, match="failed"):
        tune(hook).execute(make_context())


def test_a_failed_job_is_not_reused_by_a_rerun(
    hook: VertexTuningJobsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(rate_dataset_failure=1.0)
    with pytest.raises(AirflowFailException):
        tune(hook).execute(make_context())
    emulator.reset_faults()
    with pytest.raises(AirflowFailException, match="not reused"):
        tune(hook).execute(make_context())
    result = tune(hook, if_exists="replace").execute(make_context())
    assert result["state"] == "JOB_STATE_SUCCEEDED"


def test_too_many_dropped_examples_fail_the_task(hook: VertexTuningJobsHook) -> None:
    operator = tune(hook, max_dropped_examples=0)
    result_job = {
        "name": "projects/p/locations/l/tuningJobs/1",
        "tuningDataStats": {"supervisedTuningDataStats": {"totalTruncatedExampleCount": "2"}},
    }
    operator.__dict__["hook"] = type(
        "StatsHook", (), {"job_result": staticmethod(lambda name: result_job)}
    )()
    with pytest.raises(AirflowFailException, match="dropped or truncated 2"):
        operator._finish(make_context(), "projects/p/locations/l/tuningJobs/1", reused=False)


# --- deferred ----------------------------------------------------------------------------------


def test_deferral_hands_the_wait_to_the_trigger_and_resumes_with_the_endpoint(
    hook: VertexTuningJobsHook,
) -> None:
    operator = tune(hook, deferrable=True, cancel_on_kill=True)
    context = make_context()
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    trigger = deferred.value.trigger
    kwargs = trigger.serialize()[1]
    assert kwargs["hook_class_path"].endswith("vertex_ai.VertexTuningJobsHook")
    assert kwargs["job_name"] == context["ti"].xcoms["tuning_job_name"]
    assert kwargs["conn_id"] == CONN_ID
    assert "keyfile" not in json.dumps(kwargs)
    [event] = run_trigger(TuningJobTrigger(**kwargs))
    assert event["status"] == "success"
    result = operator.execute_complete(context, event, **deferred.value.kwargs)
    assert "/endpoints/" in result["endpoint"]


def test_resuming_with_an_error_event_raises(hook: VertexTuningJobsHook) -> None:
    event = {"status": "error", "message": "state 'JOB_STATE_PAUSED' unexpected", "job_name": "j"}
    with pytest.raises(TuningWaitError, match="PAUSED"):
        tune(hook).execute_complete(make_context(), event)


# --- cancel, sensor, promotion, evaluation -----------------------------------------------------


def test_cancel_operator_ends_a_running_job_cancelled(hook: VertexTuningJobsHook) -> None:
    started = tune(hook, wait_for_completion=False).execute(make_context())
    cancel = CancelTuningJobOperator(
        task_id="cancel", conn_id=CONN_ID, job_name=started["name"], poll_interval=0.05
    )
    cancel.__dict__["hook"] = hook
    result = cancel.execute(make_context())
    assert result["state"] in ("JOB_STATE_CANCELLED", "JOB_STATE_SUCCEEDED")


def test_the_sensor_succeeds_on_a_finished_job_and_fails_on_a_cancelled_one(
    hook: VertexTuningJobsHook,
) -> None:
    done = tune(hook).execute(make_context())
    sensor = VertexTuningJobSensor(task_id="wait", conn_id=CONN_ID, job_name=done["name"])
    sensor.__dict__["hook"] = hook
    assert sensor.poke(make_context()).is_done


def test_promotion_moves_the_default_checkpoint(hook: VertexTuningJobsHook) -> None:
    done = tune(hook).execute(make_context())
    model = done["tuned_model"].split("@")[0]
    update = UpdateVertexModelOperator(
        task_id="promote",
        conn_id=CONN_ID,
        model_name=model,
        description="champion",
        default_checkpoint_id="1",
    )
    update.__dict__["hook"] = hook
    result = update.execute(make_context())
    assert (result["description"], result["defaultCheckpointId"]) == ("champion", "1")


def test_evaluation_compares_the_tuned_endpoint_with_the_base_model(
    hook: VertexTuningJobsHook, tmp_path: Any
) -> None:
    done = tune(hook).execute(make_context())
    evaluate = VertexEvaluateOperator(
        task_id="evaluate",
        conn_id=CONN_ID,
        tuned_model_name=done["endpoint"],
        baseline_model="gemini-2.5-flash",
        eval_set=[{"input": prompt, "output": answer} for prompt, answer in EXAMPLES[:4]],
        results_path=str(tmp_path / "results.jsonl"),
        require_improvement=True,
    )
    evaluate.__dict__["hook"] = hook
    summary = evaluate.execute(make_context())
    tuned = summary["models"]["tuned"]["scores"]["exact_match"]
    base = summary["models"]["baseline"]["scores"]["exact_match"]
    assert tuned > base
    assert summary["quality_gate"]["passed"] is True


def test_vertex_model_names_are_checked_when_the_dag_is_parsed() -> None:
    from airflow_provider_tunedmodels.operators.vertex_models import VertexGenerateContentOperator

    with pytest.raises(ValueError, match="neither a base model id"):
        VertexGenerateContentOperator(task_id="g", model="models/x", prompt="hi")
    with pytest.raises(ValueError, match="served through its endpoint"):
        VertexEvaluateOperator(
            task_id="e",
            tuned_model_name="projects/p/locations/l/models/1",
            eval_set=[{"input": "a", "output": "b"}],
            results_path="r.jsonl",
        )
    fine = VertexGenerateContentOperator(
        task_id="g", model="projects/p/locations/l/endpoints/1", prompt="hi"
    )
    assert fine.model.endswith("/endpoints/1")
