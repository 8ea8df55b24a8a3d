"""Waiting for a Vertex AI tuning job, and the seam the operators, sensor and trigger use."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.errors import OperationTimeoutError
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from tests.hooks.vertex_support import HOST, PARENT, mock_token_endpoint, vertex_test_settings

NAME = f"{PARENT}/tuningJobs/42"
URL = f"{HOST}/v1/{NAME}"
ENDPOINT = f"{PARENT}/endpoints/7"
MODEL = f"{PARENT}/models/9@1"


def job(state: str, **fields: Any) -> dict[str, Any]:
    return {"name": NAME, "state": state, "baseModel": "gemini-2.5-flash", **fields}


SUCCEEDED = job(
    "JOB_STATE_SUCCEEDED",
    tunedModelDisplayName="router",
    tunedModel={
        "model": MODEL,
        "endpoint": ENDPOINT,
        "checkpoints": [
            {"checkpointId": "1", "epoch": "1", "step": "5", "endpoint": f"{PARENT}/endpoints/6"},
            {"checkpointId": "2", "epoch": "2", "step": "10", "endpoint": ENDPOINT},
        ],
    },
)
FAILED = job("JOB_STATE_FAILED", error={"code": 13, "message": "Failed to create endpoint."})


@pytest.fixture
def hook() -> Iterator[VertexTuningJobsHook]:
    hook = VertexTuningJobsHook(settings=vertex_test_settings())
    yield hook
    hook.close()


def answers(*jobs: dict[str, Any]) -> list[httpx.Response]:
    return [httpx.Response(200, json=j) for j in jobs]


@respx.mock
def test_wait_polls_through_transient_errors_until_the_job_ends(
    hook: VertexTuningJobsHook,
) -> None:
    mock_token_endpoint()
    route = respx.get(URL).mock(
        side_effect=[
            *answers(job("JOB_STATE_PENDING")),
            httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}}),
            *answers(job("JOB_STATE_RUNNING", tuningJobMetadata={"completedEpochCount": "1"})),
            *answers(SUCCEEDED),
        ]
    )
    seen: list[str] = []
    done = hook.wait_for_tuning_job(
        NAME, poll_interval=0.01, on_progress=lambda j: seen.append(j.state_name)
    )
    assert done.endpoint == ENDPOINT
    assert seen == ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"]
    # the retry policy repeats the 503 within one poll: 503 then 200 is one reading
    assert route.call_count == 4


@respx.mock
async def test_await_stops_at_an_unexpected_state(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(side_effect=answers(job("JOB_STATE_RUNNING"), job("JOB_STATE_PAUSED")))
    done = await hook.await_for_tuning_job(NAME, poll_interval=0.01)
    assert done.state_name == "JOB_STATE_PAUSED"
    await hook.aclose()


@respx.mock
def test_wait_past_the_deadline_raises_and_the_job_goes_on(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    route = respx.get(URL).mock(return_value=httpx.Response(200, json=job("JOB_STATE_RUNNING")))
    with pytest.raises(OperationTimeoutError, match="still running server-side"):
        hook.wait_for_tuning_job(NAME, end_time=time.time() - 1)
    assert route.call_count == 1


@respx.mock
def test_read_job_status_maps_the_state_through_the_closed_table(
    hook: VertexTuningJobsHook,
) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(
        side_effect=answers(
            SUCCEEDED, FAILED, job("JOB_STATE_SUCCEEDED", tunedModel={"model": MODEL})
        )
    )
    succeeded = hook.read_job_status(NAME)
    assert (succeeded.outcome, succeeded.job_name, succeeded.result_name) == (
        "succeeded",
        NAME,
        NAME,
    )
    failed = hook.read_job_status(NAME)
    assert failed.outcome == "failed"
    assert failed.error == {
        "code": 13,
        "status": "INTERNAL",
        "message": "Failed to create endpoint.",
    }
    assert "INTERNAL: Failed to create endpoint." in failed.failure_message()
    no_endpoint = hook.read_job_status(NAME)
    assert no_endpoint.outcome == "unexpected"
    assert "no tuned model endpoint" in no_endpoint.failure_message()


@respx.mock
async def test_aread_job_status(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(side_effect=answers(job("JOB_STATE_RUNNING")))
    status = await hook.aread_job_status(NAME)
    assert (status.outcome, status.state, status.progress) == (
        "running",
        "JOB_STATE_RUNNING",
        "JOB_STATE_RUNNING",
    )
    await hook.aclose()


@respx.mock
def test_cancel_job_cancels_only_a_job_on_its_way(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(
        side_effect=answers(job("JOB_STATE_RUNNING"), SUCCEEDED, job("JOB_STATE_CANCELLING"))
    )
    cancel = respx.post(f"{URL}:cancel").mock(return_value=httpx.Response(200, json={}))
    assert "Asked Vertex AI to cancel" in hook.cancel_job(NAME)
    assert hook.cancel_job(NAME) == f"{NAME} is JOB_STATE_SUCCEEDED; nothing to cancel."
    assert hook.cancel_job(NAME) == f"{NAME} is already being cancelled."
    assert cancel.call_count == 1


@respx.mock
async def test_acancel_job(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(side_effect=answers(job("JOB_STATE_PENDING")))
    cancel = respx.post(f"{URL}:cancel").mock(return_value=httpx.Response(200, json={}))
    assert "best effort" in await hook.acancel_job(NAME)
    assert cancel.call_count == 1
    await hook.aclose()


@respx.mock
def test_job_result_and_its_asset_event(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(URL).mock(side_effect=answers(SUCCEEDED))
    result = hook.job_result(NAME)
    assert result["tunedModel"]["endpoint"] == ENDPOINT
    assert hook.asset_event_extra(result, reused=True) == {
        "tuning_job": NAME,
        "tuned_model": MODEL,
        "endpoint": ENDPOINT,
        "default_checkpoint_id": "2",
        "state": "JOB_STATE_SUCCEEDED",
        "base_model": "gemini-2.5-flash",
        "display_name": "router",
        "evaluation": None,
        "reused": True,
    }


def test_job_url_is_the_console_page_or_the_rest_resource(hook: VertexTuningJobsHook) -> None:
    assert hook.job_url(NAME) == (
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/us-central1"
        "/tuning/tuningJob/42?project=tuning-proj"
    )
    assert hook.job_url("42") == hook.job_url(NAME)
    emulated = VertexTuningJobsHook(settings=vertex_test_settings(base_url="http://127.0.0.1:8089"))
    assert emulated.job_url(NAME) == f"http://127.0.0.1:8089/v1/{NAME}"
