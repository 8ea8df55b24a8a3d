"""Vertex AI tuning job models: proto3 JSON both ways, against a recorded real answer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from airflow_provider_tunedmodels.models.vertex import (
    AdapterSize,
    JobState,
    ListTuningJobsResponse,
    Model,
    RebaseTunedModelRequest,
    TunedModelRef,
    TuningJob,
    TuningJobState,
    TuningOperation,
    rebase_metadata_type,
    tuning_job_type,
)

# A real GET of a job that failed at endpoint creation (abridged), as the API sent it.
RECORDED_FAILED_JOB = {
    "name": "projects/646763706049/locations/us-central1/tuningJobs/6284765961371254784",
    "tunedModelDisplayName": "gemini-1.5-pro-002-bf6ead6f",
    "baseModel": "gemini-1.5-pro-002",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://cloud-samples-data/ai-platform/generative_ai/sft_train_data.jsonl",
        "hyperParameters": {
            "epochCount": "10",
            "learningRateMultiplier": 1,
            "adapterSize": "ADAPTER_SIZE_FOUR",
        },
    },
    "state": "JOB_STATE_FAILED",
    "createTime": "2024-11-03T21:08:07.734198Z",
    "startTime": "2024-11-03T21:08:30.888568Z",
    "endTime": "2024-11-03T21:40:37.139132Z",
    "updateTime": "2024-11-03T21:40:37.139132Z",
    "error": {
        "code": 13,
        "message": "Failed to create endpoint. Tuned model is uploaded and can be accessed "
        "through Model Registry.",
    },
    "experiment": "projects/646763706049/locations/us-central1/metadataStores/default/"
    "contexts/tuning-experiment-20241103131117085279",
    "tunedModel": {
        "model": "projects/646763706049/locations/us-central1/models/1402067540926005248@1"
    },
    "tuningDataStats": {
        "supervisedTuningDataStats": {
            "tuningDatasetExampleCount": "500",
            "userInputTokenDistribution": {
                "sum": "233592",
                "min": 25,
                "max": 2932,
                "mean": 467.184,
                "median": 414,
                "p5": 101,
                "p95": 1016,
                "buckets": [{"count": 326, "left": 25, "right": 509}],
            },
            "userDatasetExamples": [{"role": "user", "parts": [{"text": "Honesty is..."}]}],
            "totalBillableTokenCount": "255243",
        }
    },
}


def test_recorded_job_parses_with_int64_strings_and_timestamps() -> None:
    job = TuningJob.model_validate(RECORDED_FAILED_JOB)
    assert job.state is JobState.JOB_STATE_FAILED
    assert job.job_id == "6284765961371254784"
    assert job.error is not None
    assert job.error.status_name == "INTERNAL"
    spec = job.supervised_tuning_spec
    assert spec is not None
    assert spec.hyper_parameters is not None
    assert spec.hyper_parameters.epoch_count == 10
    assert spec.hyper_parameters.adapter_size is AdapterSize.ADAPTER_SIZE_FOUR
    assert job.create_time == datetime(2024, 11, 3, 21, 8, 7, 734198, tzinfo=timezone.utc)
    stats = job.tuning_data_stats
    assert stats is not None
    assert stats.example_count == 500
    assert stats.supervised_tuning_data_stats is not None
    distribution = stats.supervised_tuning_data_stats.user_input_token_distribution
    assert distribution is not None
    assert distribution.sum == 233592
    assert job.endpoint is None


def test_recorded_job_round_trips_to_the_same_json() -> None:
    wire = TuningJob.model_validate(RECORDED_FAILED_JOB).to_wire()
    assert wire["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "10",
        "learningRateMultiplier": 1.0,
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }
    assert wire["tuningDataStats"]["supervisedTuningDataStats"]["totalBillableTokenCount"] == (
        "255243"
    )
    assert wire["createTime"] == "2024-11-03T21:08:07.734198Z"
    assert wire["state"] == "JOB_STATE_FAILED"
    assert set(wire) == set(RECORDED_FAILED_JOB)


def test_snake_case_numbers_and_enum_numbers_are_read_leniently() -> None:
    job = TuningJob.model_validate(
        {
            "base_model": "gemini-2.5-flash",
            "supervised_tuning_spec": {
                "training_dataset_uri": "gs://b/train.jsonl",
                "hyper_parameters": {"epoch_count": 3, "adapter_size": 6},
            },
            "state": 3,
            "pre_tuned_model": {"tuned_model_name": "projects/p/locations/l/models/m"},
        }
    )
    assert job.state is JobState.JOB_STATE_RUNNING
    assert job.to_wire() == {
        "baseModel": "gemini-2.5-flash",
        "preTunedModel": {"tunedModelName": "projects/p/locations/l/models/m"},
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://b/train.jsonl",
            "hyperParameters": {"epochCount": "3", "adapterSize": "ADAPTER_SIZE_TWO"},
        },
        "state": "JOB_STATE_RUNNING",
    }


@pytest.mark.parametrize(
    ("number", "member"),
    [
        (0, AdapterSize.ADAPTER_SIZE_UNSPECIFIED),
        (1, AdapterSize.ADAPTER_SIZE_ONE),
        (6, AdapterSize.ADAPTER_SIZE_TWO),
        (2, AdapterSize.ADAPTER_SIZE_FOUR),
        (3, AdapterSize.ADAPTER_SIZE_EIGHT),
        (4, AdapterSize.ADAPTER_SIZE_SIXTEEN),
        (5, AdapterSize.ADAPTER_SIZE_THIRTY_TWO),
        ("2", AdapterSize.ADAPTER_SIZE_FOUR),
    ],
)
def test_adapter_size_numbers_follow_the_proto_not_the_declaration_order(
    number: int | str, member: AdapterSize
) -> None:
    job = TuningJob.model_validate(
        {"supervisedTuningSpec": {"hyperParameters": {"adapterSize": number}}}
    )
    assert job.supervised_tuning_spec is not None
    assert job.supervised_tuning_spec.hyper_parameters is not None
    assert job.supervised_tuning_spec.hyper_parameters.adapter_size is member


def test_adapter_size_converts_to_and_from_numbers() -> None:
    assert AdapterSize.from_size(8) is AdapterSize.ADAPTER_SIZE_EIGHT
    assert AdapterSize.ADAPTER_SIZE_THIRTY_TWO.size == 32
    assert AdapterSize.ADAPTER_SIZE_UNSPECIFIED.size is None
    with pytest.raises(ValueError, match="sizes are 1, 2, 4, 8, 16, 32"):
        AdapterSize.from_size(3)


def test_unknown_fields_states_and_sub_states_are_kept() -> None:
    job = TuningJob.model_validate(
        {
            "state": "JOB_STATE_HIBERNATING",
            "tuningJobState": "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
            "futureField": {"x": 1},
            "tunedModel": {"model": "m", "newThing": 2},
            "tuningJobMetadata": {"completedEpochCount": "2", "completedStepCount": 40},
        }
    )
    assert job.state == "JOB_STATE_HIBERNATING"
    assert job.tuning_job_state is TuningJobState.TUNING_JOB_STATE_WAITING_FOR_QUOTA
    assert job.to_wire() == {
        "state": "JOB_STATE_HIBERNATING",
        "tuningJobState": "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
        "tunedModel": {"model": "m", "newThing": 2},
        "tuningJobMetadata": {"completedEpochCount": "2", "completedStepCount": "40"},
        "futureField": {"x": 1},
    }


def test_preference_spec_and_stats_parse() -> None:
    job = TuningJob.model_validate(
        {
            "preferenceOptimizationSpec": {
                "trainingDatasetUri": "gs://b/prefs.jsonl",
                "hyperParameters": {"beta": 0.1, "epochCount": 1},
            },
            "tuningDataStats": {
                "preferenceOptimizationDataStats": {
                    "tuningDatasetExampleCount": "7",
                    "scoresDistribution": {"sum": 3.5, "buckets": [{"count": "4", "left": 0}]},
                }
            },
        }
    )
    assert job.preference_optimization_spec is not None
    assert job.preference_optimization_spec.hyper_parameters is not None
    assert job.preference_optimization_spec.hyper_parameters.beta == 0.1
    assert job.tuning_data_stats is not None
    assert job.tuning_data_stats.example_count == 7
    wire = job.to_wire()["tuningDataStats"]["preferenceOptimizationDataStats"]
    assert wire["scoresDistribution"] == {"sum": 3.5, "buckets": [{"count": "4", "left": 0.0}]}


def test_empty_list_page_is_an_empty_object() -> None:
    page = ListTuningJobsResponse.from_wire({})
    assert page.page_items() == []
    assert page.next_page_token is None


def test_rebase_request_and_operation_payloads_follow_the_api_version() -> None:
    request = RebaseTunedModelRequest(
        tuned_model_ref=TunedModelRef.from_name("projects/p/locations/l/tuningJobs/1"),
        deploy_to_same_endpoint=True,
    )
    assert request.to_wire() == {
        "tunedModelRef": {"tuningJob": "projects/p/locations/l/tuningJobs/1"},
        "deployToSameEndpoint": True,
    }
    assert TunedModelRef.from_name("projects/p/locations/l/models/9").tuned_model is not None
    for version in ("v1", "v1beta1"):
        operation = TuningOperation.model_validate(
            {
                "name": "projects/p/locations/l/tuningJobs/1/operations/2",
                "metadata": {
                    "@type": rebase_metadata_type(version),
                    "genericMetadata": {"createTime": "2025-01-01T00:00:00Z"},
                },
                "done": True,
                "response": {"@type": tuning_job_type(version), "name": "x", "state": 4},
            }
        )
        assert operation.rebase_metadata is not None
        assert operation.rebase_metadata.generic_metadata is not None
        assert operation.tuning_job is not None
        assert operation.tuning_job.state is JobState.JOB_STATE_SUCCEEDED
    assert rebase_metadata_type("v1") == (
        "type.googleapis.com/google.cloud.aiplatform.v1.RebaseTunedModelOperationMetadata"
    )
    with pytest.raises(ValueError, match="v1, v1beta1"):
        tuning_job_type("v2")


def test_operation_with_foreign_payload_types_exposes_nothing() -> None:
    operation = TuningOperation.model_validate(
        {"name": "n", "metadata": {"@type": "x.Other"}, "response": {"@type": "x.Job"}}
    )
    assert operation.rebase_metadata is None
    assert operation.tuning_job is None


def test_registry_model_keeps_unknown_fields() -> None:
    model = Model.model_validate(
        {
            "name": "projects/p/locations/l/models/1",
            "versionId": "2",
            "defaultCheckpointId": "3",
            "checkpoints": [{"checkpointId": "3", "epoch": "3", "step": 30}],
            "deployedModels": [{"endpoint": "e"}],
        }
    )
    assert model.checkpoints is not None
    assert model.checkpoints[0].step == 30
    assert model.to_wire()["deployedModels"] == [{"endpoint": "e"}]
    assert model.to_wire()["checkpoints"] == [{"checkpointId": "3", "epoch": "3", "step": "30"}]
