"""Creating with a run key: re-attach to an earlier job, never repeat a lost create."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.errors import ServerError, TransportError
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.hooks.vertex_reattach import (
    FINGERPRINT_LABEL,
    RUN_KEY_LABEL,
    RunKeyConflictError,
    label_request,
    run_key_filter,
)
from tests.hooks.vertex_support import HOST, PARENT, mock_token_endpoint, vertex_test_settings

RUN_KEY = "support_router/tune/scheduled__2025-01-01T00:00:00+00:00"
NEW_JOB = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {"trainingDatasetUri": "gs://my-bucket/train.jsonl"},
    "labels": {"team": "support"},
}
JOBS_URL = f"{HOST}/v1/{PARENT}/tuningJobs"


def existing_job(job_id: str, created: str, request: dict[str, Any] = NEW_JOB) -> dict[str, Any]:
    labelled = label_request(request, RUN_KEY)
    return {
        **labelled,
        "name": f"{PARENT}/tuningJobs/{job_id}",
        "state": "JOB_STATE_RUNNING",
        "createTime": created,
    }


@pytest.fixture
def hook() -> Iterator[VertexTuningJobsHook]:
    hook = VertexTuningJobsHook(settings=vertex_test_settings())
    yield hook
    hook.close()


@respx.mock
def test_a_first_create_carries_the_run_key_and_fingerprint_labels(
    hook: VertexTuningJobsHook,
) -> None:
    mock_token_endpoint()
    lookup = respx.get(JOBS_URL).mock(return_value=httpx.Response(200, json={}))
    create = respx.post(JOBS_URL).mock(
        return_value=httpx.Response(200, json=existing_job("1", "2025-01-01T00:00:00Z"))
    )
    job = hook.create_tuning_job(NEW_JOB, run_key=RUN_KEY)
    assert job.job_id == "1"
    assert lookup.calls.last.request.url.params["filter"] == run_key_filter(RUN_KEY)
    sent = json.loads(create.calls.last.request.content)
    assert sent["labels"]["team"] == "support"
    assert sent["labels"][RUN_KEY_LABEL] == label_request(NEW_JOB, RUN_KEY)["labels"][RUN_KEY_LABEL]
    assert FINGERPRINT_LABEL in sent["labels"]


@respx.mock
def test_an_existing_job_of_the_run_key_is_returned_instead_of_creating(
    hook: VertexTuningJobsHook, caplog: pytest.LogCaptureFixture
) -> None:
    mock_token_endpoint()
    respx.get(JOBS_URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "tuningJobs": [
                    existing_job("1", "2025-01-01T00:00:00Z"),
                    existing_job("2", "2025-01-02T00:00:00Z"),
                ]
            },
        )
    )
    create = respx.post(JOBS_URL)
    assert hook.create_tuning_job(NEW_JOB, run_key=RUN_KEY).job_id == "2"
    assert create.call_count == 0
    found = hook.find_tuning_job(RUN_KEY, {**NEW_JOB, "description": "changed"})
    assert found is not None
    assert found.fingerprint_matches is False
    with pytest.raises(RunKeyConflictError, match="from a different request"):
        hook.create_tuning_job({**NEW_JOB, "description": "changed"}, run_key=RUN_KEY)
    assert create.call_count == 0


@respx.mock
def test_replacing_the_run_keys_job_creates_a_new_one(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(JOBS_URL).mock(
        return_value=httpx.Response(
            200, json={"tuningJobs": [existing_job("1", "2025-01-01T00:00:00Z")]}
        )
    )
    create = respx.post(JOBS_URL).mock(
        return_value=httpx.Response(200, json=existing_job("9", "2025-01-03T00:00:00Z"))
    )
    old = hook.find_tuning_job(RUN_KEY)
    assert old is not None
    changed = {**NEW_JOB, "description": "changed"}
    created = hook.create_tuning_job(changed, run_key=RUN_KEY, replacing=str(old.job.name))
    assert (created.job_id, create.call_count) == ("9", 1)


@respx.mock
def test_a_lost_create_answer_is_looked_up_not_repeated(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    lookup = respx.get(JOBS_URL).mock(
        side_effect=[
            httpx.Response(200, json={}),
            httpx.Response(200, json={"tuningJobs": [existing_job("7", "2025-01-01T00:00:00Z")]}),
        ]
    )
    create = respx.post(JOBS_URL).mock(side_effect=httpx.ReadTimeout("answer lost"))
    job = hook.create_tuning_job(NEW_JOB, run_key=RUN_KEY)
    assert job.job_id == "7"
    assert create.call_count == 1
    assert lookup.call_count == 2


@respx.mock
async def test_a_lost_create_answer_is_looked_up_async(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(JOBS_URL).mock(
        side_effect=[
            httpx.Response(200, json={}),
            httpx.Response(200, json={"tuningJobs": [existing_job("7", "2025-01-01T00:00:00Z")]}),
        ]
    )
    create = respx.post(JOBS_URL).mock(
        return_value=httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})
    )
    job = await hook.acreate_tuning_job(NEW_JOB, run_key=RUN_KEY)
    assert job.job_id == "7"
    assert create.call_count == 1
    await hook.aclose()


@respx.mock
def test_a_lost_create_that_started_nothing_raises_and_is_not_repeated(
    hook: VertexTuningJobsHook,
) -> None:
    mock_token_endpoint()
    respx.get(JOBS_URL).mock(return_value=httpx.Response(200, json={}))
    create = respx.post(JOBS_URL).mock(side_effect=httpx.ReadTimeout("answer lost"))
    with pytest.raises(TransportError, match="ReadTimeout"):
        hook.create_tuning_job(NEW_JOB, run_key=RUN_KEY)
    assert create.call_count == 1


@respx.mock
def test_without_a_run_key_a_failed_create_is_never_repeated(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    lookup = respx.get(JOBS_URL)
    create = respx.post(JOBS_URL).mock(
        return_value=httpx.Response(500, json={"error": {"code": 500, "status": "INTERNAL"}})
    )
    with pytest.raises(ServerError):
        hook.create_tuning_job(NEW_JOB)
    assert create.call_count == 1
    assert lookup.call_count == 0


def _refuse_label_filter(request: httpx.Request) -> httpx.Response:
    if "filter" in request.url.params:
        return httpx.Response(
            400, json={"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "filter"}}
        )
    token = request.url.params.get("pageToken")
    if token is None:
        unrelated = {"name": f"{PARENT}/tuningJobs/1", "labels": {"team": "x"}}
        return httpx.Response(200, json={"tuningJobs": [unrelated], "nextPageToken": "p2"})
    return httpx.Response(200, json={"tuningJobs": [existing_job("9", "2025-01-01T00:00:00Z")]})


@respx.mock
def test_a_refused_label_filter_falls_back_to_scanning_every_job(
    hook: VertexTuningJobsHook,
) -> None:
    mock_token_endpoint()
    lookup = respx.get(JOBS_URL).mock(side_effect=_refuse_label_filter)
    found = hook.find_tuning_job(RUN_KEY, NEW_JOB)
    assert found is not None
    assert found.job.job_id == "9"
    assert found.fingerprint_matches is True
    assert lookup.call_count == 3


@respx.mock
async def test_afind_scans_when_the_filter_is_refused(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(JOBS_URL).mock(side_effect=_refuse_label_filter)
    found = await hook.afind_tuning_job(RUN_KEY)
    assert found is not None
    assert found.job.job_id == "9"
    assert found.fingerprint_matches is None
    await hook.aclose()
