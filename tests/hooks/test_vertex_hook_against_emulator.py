"""The Vertex AI hook against the bundled emulator on loopback: the whole tuning lifecycle,
re-attaching by run key, cancellation, rebasing and scripted failures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import TransportError
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.models.vertex import classify_tuning_job

DATASET = "gs://tuning-data/tickets.jsonl"
RUN_KEY = "support_router/tune/2025-01-01T00:00:00+00:00/-1"
CREATE_ROUTE = "projects.locations.tuningJobs.create"
EXAMPLES = [(f"ticket {n}: please refund my order", "billing") for n in range(6)] + [
    (f"ticket {n}: the app crashes on start", "technical") for n in range(6)
]


def new_job(**overrides: Any) -> dict[str, Any]:
    return {
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "support router",
        "supervisedTuningSpec": {
            "trainingDatasetUri": DATASET,
            "hyperParameters": {"epochCount": 2, "adapterSize": "ADAPTER_SIZE_FOUR"},
        },
        **overrides,
    }


def emulator_settings(emulator: RunningEmulator, **overrides: Any) -> ClientSettings:
    values: dict[str, Any] = {
        "base_url": emulator.base_url,
        "service_account_info": emulator.service_account_info(),
        "project": "emulator-project",
        "location": "us-central1",
        "retry": RetryPolicy(max_attempts=4, initial_backoff=0.0, jitter=0.0),
        **overrides,
    }
    return ClientSettings(**values)


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[VertexTuningJobsHook]:
    emulator.reset()
    lines = [
        {
            "contents": [
                {"role": "user", "parts": [{"text": prompt}]},
                {"role": "model", "parts": [{"text": answer}]},
            ]
        }
        for prompt, answer in EXAMPLES
    ]
    emulator.put_object(DATASET, "\n".join(json.dumps(line) for line in lines))
    hook = VertexTuningJobsHook(settings=emulator_settings(emulator))
    yield hook
    hook.close()


def test_lifecycle_sync(hook: VertexTuningJobsHook) -> None:
    created = hook.create_tuning_job(new_job(), run_key=RUN_KEY)
    assert created.state_name == "JOB_STATE_PENDING"
    assert hook.create_tuning_job(new_job(), run_key=RUN_KEY).name == created.name
    assert [job.name for job in hook.iter_tuning_jobs()] == [created.name]

    done = hook.wait_for_tuning_job(created.name, poll_interval=0.01, timeout=60)
    assert classify_tuning_job(done).outcome == "succeeded"
    assert hook.read_job_status(created.name).outcome == "succeeded"
    stats = done.tuning_data_stats
    assert stats is not None
    assert stats.example_count == len(EXAMPLES)
    assert done.endpoint is not None
    assert hook.generate_content(done.endpoint, "ticket 3: please refund my order").text == (
        "billing"
    )
    streamed = "".join(
        c.text
        for c in hook.stream_generate_content(done.endpoint, "ticket 2: the app crashes on start")
    )
    assert streamed == "technical"

    extra = hook.asset_event_extra(hook.job_result(created.name), reused=False)
    assert extra["endpoint"] == done.endpoint
    assert extra["default_checkpoint_id"] == "2"
    assert done.tuned_model is not None
    assert done.tuned_model.model is not None
    model = hook.update_model(done.tuned_model.model, {"default_checkpoint_id": "1"})
    assert model.default_checkpoint_id == "1"
    assert hook.get_model(done.tuned_model.model).default_checkpoint_id == "1"


async def test_lifecycle_async(hook: VertexTuningJobsHook) -> None:
    created = await hook.acreate_tuning_job(new_job(), run_key=RUN_KEY)
    again = await hook.acreate_tuning_job(new_job(), run_key=RUN_KEY)
    assert again.name == created.name
    done = await hook.await_for_tuning_job(created.name, poll_interval=0.01, timeout=60)
    assert (await hook.aread_job_status(created.name)).outcome == "succeeded"
    assert done.endpoint is not None
    answer = await hook.agenerate_content(done.endpoint, "ticket 1: the app crashes on start")
    assert answer.text == "technical"
    chunks = [c.text async for c in hook.astream_generate_content(done.endpoint, "ticket 4")]
    assert "".join(chunks) in ("billing", "technical")
    await hook.aclose()


def test_cancel_through_the_seam(hook: VertexTuningJobsHook) -> None:
    job = hook.create_tuning_job(
        new_job(
            supervisedTuningSpec={
                "trainingDatasetUri": DATASET,
                "hyperParameters": {"epochCount": 50},
            }
        )
    )
    assert "Asked Vertex AI to cancel" in hook.cancel_job(job.name)
    done = hook.wait_for_tuning_job(job.name, poll_interval=0.01, timeout=60)
    status = hook.read_job_status(job.name)
    assert (done.state_name, status.outcome) == ("JOB_STATE_CANCELLED", "failed")
    assert status.error is not None
    assert status.error["code"] == 1
    assert hook.cancel_job(job.name).endswith("nothing to cancel.")


def test_a_scripted_endpoint_failure_fails_with_the_jobs_error(
    hook: VertexTuningJobsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(FaultRule("tuning_failure", route=CREATE_ROUTE, count=1))
    job = hook.create_tuning_job(new_job())
    done = hook.wait_for_tuning_job(job.name, poll_interval=0.01, timeout=60)
    status = hook.read_job_status(job.name)
    assert status.outcome == "failed"
    assert status.error is not None
    assert status.error["code"] == 13
    assert done.tuned_model is not None
    assert done.tuned_model.model is not None
    assert done.endpoint is None


def test_rebase_returns_an_operation_whose_result_is_the_new_job(
    hook: VertexTuningJobsHook,
) -> None:
    job = hook.create_tuning_job(new_job())
    hook.wait_for_tuning_job(job.name, poll_interval=0.01, timeout=60)
    operation = hook.rebase_tuned_model(job.name)
    assert operation.rebase_metadata is not None
    assert operation.name is not None
    done = hook.wait_for_operation(operation.name, poll_interval=0.01, timeout=60)
    assert done.tuning_job is not None
    assert done.tuning_job.name not in (None, job.name)


def test_a_dropped_create_is_not_repeated_and_a_retry_creates_once(
    hook: VertexTuningJobsHook, emulator: RunningEmulator
) -> None:
    emulator.set_faults(FaultRule("drop", route=CREATE_ROUTE, count=1))
    with pytest.raises(TransportError):
        hook.create_tuning_job(new_job(), run_key=RUN_KEY)
    assert list(hook.iter_tuning_jobs()) == []
    job = hook.create_tuning_job(new_job(), run_key=RUN_KEY)
    assert [j.name for j in hook.iter_tuning_jobs()] == [job.name]


def test_a_create_whose_answer_came_too_late_is_reattached_not_duplicated(
    emulator: RunningEmulator, hook: VertexTuningJobsHook
) -> None:
    emulator.set_faults(FaultRule("latency", route=CREATE_ROUTE, seconds=0.5, count=1))
    impatient = VertexTuningJobsHook(settings=emulator_settings(emulator, timeout=0.2))
    with pytest.raises(TransportError, match="ReadTimeout"):
        impatient.create_tuning_job(new_job(), run_key=RUN_KEY)
    impatient.close()
    time.sleep(0.6)  # the server finishes the create it was still working on
    retried = hook.create_tuning_job(new_job(), run_key=RUN_KEY)
    assert [j.name for j in hook.iter_tuning_jobs()] == [retried.name]
