"""google-genai with ``vertexai=True`` against the emulator, on v1 and v1beta1.

The strongest check of wire faithfulness on the Vertex AI path: the client
rejects any status but 200, parses states by name, builds snake_case keys
inside camelCase bodies and sends cancel without a body.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.genai import Client
from google.genai import types as genai_types
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.vertex.support import (
    CLOUD_PLATFORM,
    PROJECT,
    TRAIN_URI,
    jsonl,
    preference_lines,
    supervised_lines,
)

PREFERENCE_URI = "gs://tuning-data/preference.jsonl"
pytestmark = pytest.mark.filterwarnings("ignore:The SDK's tuning implementation is experimental")


@pytest.fixture(params=["v1", "v1beta1"])
def client(request: pytest.FixtureRequest, emulator: RunningEmulator) -> Iterator[Client]:
    emulator.put_object(TRAIN_URI, jsonl(supervised_lines(20)))
    emulator.put_object(PREFERENCE_URI, jsonl(preference_lines(6)))
    credentials = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), scopes=[CLOUD_PLATFORM]
    )
    options = genai_types.HttpOptions(base_url=emulator.base_url, api_version=request.param)
    return Client(
        vertexai=True,
        project=PROJECT,
        location="us-central1",
        credentials=credentials,
        http_options=options,
    )


def _until_ended(client: Client, job: genai_types.TuningJob) -> genai_types.TuningJob:
    deadline = time.monotonic() + 30
    while not job.has_ended:
        assert time.monotonic() < deadline, job
        time.sleep(0.02)
        assert job.name is not None
        job = client.tunings.get(name=job.name)
    return job


def _tune(client: Client, **config: Any) -> genai_types.TuningJob:
    return client.tunings.tune(
        base_model="gemini-2.5-flash",
        training_dataset=genai_types.TuningDataset(gcs_uri=TRAIN_URI),
        config=genai_types.CreateTuningJobConfig(**config),
    )


def test_supervised_tuning_then_generation_and_streaming(client: Client) -> None:
    job = _tune(client, epoch_count=2, tuned_model_display_name="genai", labels={"suite": "genai"})
    assert job.state == genai_types.JobState.JOB_STATE_PENDING
    done = _until_ended(client, job)
    assert done.has_succeeded
    assert done.tuned_model is not None
    assert done.tuned_model.endpoint is not None
    assert done.tuned_model.checkpoints is not None
    assert [c.epoch for c in done.tuned_model.checkpoints] == [1, 2]
    stats = done.tuning_data_stats
    assert stats is not None
    assert stats.supervised_tuning_data_stats is not None
    assert stats.supervised_tuning_data_stats.tuning_dataset_example_count == 20
    answer = client.models.generate_content(model=done.tuned_model.endpoint, contents="question 4")
    assert answer.text == "answer to 4"
    chunks = list(
        client.models.generate_content_stream(
            model=done.tuned_model.endpoint, contents="question 5"
        )
    )
    assert len(chunks) > 1
    assert "".join(chunk.text or "" for chunk in chunks) == "answer to 5"
    baseline = client.models.generate_content(model="gemini-2.5-flash", contents="question 4")
    assert baseline.text != "answer to 4"


def test_list_with_a_label_filter_and_cancel(client: Client, emulator: RunningEmulator) -> None:
    tagged = _tune(client, epoch_count=500, labels={"team": "search"})
    _tune(client, epoch_count=1, labels={"team": "ads"})
    listed = [job.name for job in client.tunings.list(config={"filter": 'labels.team="search"'})]
    assert listed == [tagged.name]
    assert tagged.name is not None
    client.tunings.cancel(name=tagged.name)
    cancelled = _until_ended(client, client.tunings.get(name=tagged.name))
    assert cancelled.state == genai_types.JobState.JOB_STATE_CANCELLED
    assert cancelled.error is not None
    assert cancelled.error.code == 1
    paged = list(client.tunings.list(config={"page_size": 1}))
    assert len(paged) == 2


def test_preference_tuning_continues_a_tuned_model(client: Client) -> None:
    parent = _until_ended(client, _tune(client, epoch_count=1))
    assert parent.tuned_model is not None
    assert parent.tuned_model.model is not None
    child = client.tunings.tune(
        base_model=parent.tuned_model.model,
        training_dataset=genai_types.TuningDataset(gcs_uri=PREFERENCE_URI),
        config=genai_types.CreateTuningJobConfig(method="PREFERENCE_TUNING", epoch_count=1),
    )
    done = _until_ended(client, child)
    assert done.has_succeeded
    assert done.pre_tuned_model is not None
    assert done.pre_tuned_model.tuned_model_name == parent.tuned_model.model
    assert done.tuned_model is not None
    assert done.tuned_model.model == parent.tuned_model.model.replace("@1", "@2")
    assert done.tuning_data_stats is not None
    preference = done.tuning_data_stats.preference_optimization_data_stats
    assert preference is not None
    assert preference.tuning_dataset_example_count == 6
    assert done.tuned_model.endpoint is not None
    answer = client.models.generate_content(model=done.tuned_model.endpoint, contents="prompt 2")
    assert answer.text == "preferred 2"
