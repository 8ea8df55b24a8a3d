"""A poll of a Vertex AI tuning job parses only the fields its status needs, and reads the same."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.hooks.vertex_jobs import job_for_status, job_status
from airflow_provider_tunedmodels.models.vertex.tuning_job import TuningJob
from tests.hooks.vertex_support import HOST, PARENT, mock_token_endpoint, vertex_test_settings

NAME = f"{PARENT}/tuningJobs/42"
ENDPOINT = f"{PARENT}/endpoints/7"
STATS = {
    "supervisedTuningDataStats": {
        "tuningDatasetExampleCount": "20",
        "totalBillableTokenCount": "4000",
        "userInputTokenDistribution": {"sum": "800", "min": 3, "max": 9, "mean": 4.5},
    }
}
COMMON = {
    "name": NAME,
    "baseModel": "gemini-2.5-flash",
    "tunedModelDisplayName": "router",
    "createTime": "2025-01-01T00:00:00Z",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://data/train.jsonl",
        "hyperParameters": {"epochCount": "3"},
    },
}
JOBS = [
    {**COMMON, "state": "JOB_STATE_PENDING"},
    {
        **COMMON,
        "state": "JOB_STATE_RUNNING",
        "tuningJobState": "TUNING_JOB_STATE_TUNING",
        "startTime": "2025-01-01T00:01:00.250Z",
        "tuningDataStats": STATS,
        "tuningJobMetadata": {"completedEpochCount": "2", "completedStepCount": "9"},
        "tunedModel": {"checkpoints": [{"checkpointId": "1", "epoch": "1", "step": "5"}]},
    },
    {
        **COMMON,
        "state": "JOB_STATE_SUCCEEDED",
        "startTime": "2025-01-01T00:01:00Z",
        "tuningDataStats": STATS,
        "tunedModel": {"model": f"{PARENT}/models/9@1", "endpoint": ENDPOINT},
    },
    {**COMMON, "state": "JOB_STATE_SUCCEEDED", "tunedModel": {"model": f"{PARENT}/models/9@1"}},
    {**COMMON, "state": 5, "error": {"code": 13, "message": "Failed to create endpoint."}},
    {**COMMON, "state": "JOB_STATE_PAUSED"},
    {**COMMON, "state": "JOB_STATE_SOMETHING_NEW", "evaluateDatasetRuns": [{"x": 1}]},
    {"name": NAME},
    {},
]


@pytest.mark.parametrize("data", JOBS, ids=lambda d: str(d.get("state", "none")))
def test_the_status_of_the_fields_read_is_the_status_of_the_whole_job(
    data: dict[str, Any],
) -> None:
    whole = job_status(TuningJob.from_wire(data), NAME)
    assert job_status(job_for_status(data), NAME) == whole


def test_only_the_status_fields_are_parsed() -> None:
    data = {**JOBS[1], "tuningDataStats": {"supervisedTuningDataStats": "not an object"}}
    parsed = job_for_status(data)
    assert parsed.tuning_data_stats is None
    assert parsed.supervised_tuning_spec is None
    assert parsed.tuning_job_metadata is not None
    assert parsed.tuning_job_metadata.completed_step_count == 9


@respx.mock
async def test_a_poll_reads_the_status_even_where_a_statistic_has_an_odd_shape() -> None:
    mock_token_endpoint()
    odd = {**JOBS[1], "tuningDataStats": {"supervisedTuningDataStats": "not an object"}}
    respx.get(f"{HOST}/v1/{NAME}").mock(return_value=httpx.Response(200, json=odd))
    hook = VertexTuningJobsHook(settings=vertex_test_settings())
    try:
        status = await hook.aread_job_status(NAME)
        assert (status.outcome, status.state) == ("running", "JOB_STATE_RUNNING")
        assert status.progress == (
            "JOB_STATE_RUNNING, TUNING_JOB_STATE_TUNING, epoch 2 done, step 9 done, 1 checkpoint"
        )
        assert hook.read_job_status(NAME) == status
    finally:
        await hook.aclose()
        hook.close()
