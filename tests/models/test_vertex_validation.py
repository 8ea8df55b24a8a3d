"""Local validation of Vertex AI tuning requests: every rule, all problems in one error."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.vertex import Model, RebaseTunedModelRequest, TuningJob
from airflow_provider_tunedmodels.models.vertex.rules import coerce_message, label_problems
from airflow_provider_tunedmodels.models.vertex.validation import (
    validate_model_update,
    validate_new_tuning_job,
    validate_rebase_request,
)


def new_job(**overrides: Any) -> TuningJob:
    data: dict[str, Any] = {
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "support router",
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://my-bucket/data/train.jsonl",
            "validationDatasetUri": "gs://my-bucket/data/validation.jsonl",
            "hyperParameters": {"epochCount": 3, "adapterSize": "ADAPTER_SIZE_FOUR"},
        },
        "labels": {"team": "support", "env": "prod"},
    }
    data.update(overrides)
    return TuningJob.model_validate(data)


def problems(job: TuningJob, api_version: str = "v1") -> list[str]:
    with pytest.raises(InvalidRequestError) as exc:
        validate_new_tuning_job(job, api_version=api_version)
    return exc.value.problems


def test_a_valid_job_passes_on_both_versions() -> None:
    validate_new_tuning_job(new_job(), api_version="v1")
    validate_new_tuning_job(new_job(), api_version="v1beta1")


def test_a_vertex_dataset_is_accepted_for_supervised_tuning() -> None:
    job = new_job(supervisedTuningSpec={"trainingDatasetUri": "projects/p/locations/l/datasets/42"})
    validate_new_tuning_job(job)


def test_every_problem_is_reported_at_once_naming_its_field() -> None:
    job = new_job(
        preTunedModel={"tunedModelName": "projects/p/locations/l/models/1"},
        tunedModelDisplayName="x" * 129,
        supervisedTuningSpec={
            "trainingDatasetUri": "/local/train.jsonl",
            "hyperParameters": {
                "epochCount": 0,
                "learningRateMultiplier": -1,
                "adapterSize": "ADAPTER_SIZE_THIRTY_TWO",
            },
        },
        labels={"Team": "Support!"},
    )
    found = problems(job)
    text = "\n".join(found)
    assert "baseModel / preTunedModel: set exactly one" in text
    assert "tunedModelDisplayName: 129 characters; the limit is 128" in text
    assert "supervisedTuningSpec.trainingDatasetUri '/local/train.jsonl': expected gs://" in text
    assert "supervisedTuningSpec.hyperParameters.epochCount: 0 must be at least 1" in text
    assert "learningRateMultiplier: -1.0 must be greater than 0" in text
    assert "ADAPTER_SIZE_THIRTY_TWO is not available for this base model" in text
    assert "labels key 'Team': must start with a lowercase letter" in text
    assert "labels['Team'] value 'Support!': '!' 'S' not allowed" in text
    assert len(found) == 9


def test_exactly_one_tuning_spec() -> None:
    none_set = new_job(supervisedTuningSpec=None)
    assert any("none is set" in p for p in problems(none_set))
    both = new_job(preferenceOptimizationSpec={"trainingDatasetUri": "gs://bkt/p.jsonl"})
    assert any(
        "found supervisedTuningSpec, preferenceOptimizationSpec" in p for p in problems(both)
    )


def test_preference_tuning_is_accepted_on_v1_and_checks_beta() -> None:
    preference = {
        "trainingDatasetUri": "gs://bkt/prefs.jsonl",
        "hyperParameters": {"beta": 0.1, "adapterSize": "ADAPTER_SIZE_SIXTEEN"},
    }
    validate_new_tuning_job(
        new_job(supervisedTuningSpec=None, preferenceOptimizationSpec=preference)
    )
    bad = dict(preference, hyperParameters={"beta": 0})
    found = problems(new_job(supervisedTuningSpec=None, preferenceOptimizationSpec=bad))
    assert found == ["preferenceOptimizationSpec.hyperParameters.beta: 0.0 must be greater than 0"]
    vertex_dataset = dict(preference, trainingDatasetUri="projects/p/locations/l/datasets/1")
    found = problems(new_job(supervisedTuningSpec=None, preferenceOptimizationSpec=vertex_dataset))
    assert "expected gs://{bucket}/{object}.jsonl" in found[0]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_anywhere_naming_the_field(value: str) -> None:
    job = new_job(
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"learningRateMultiplier": value},
            "evaluationConfig": {"autoraterConfig": {"samplingCount": float(value)}},
        }
    )
    found = problems(job)
    assert len(found) == 2
    assert found[0].startswith("supervisedTuningSpec.hyperParameters.learningRateMultiplier: ")
    assert "not a finite number" in found[0]
    assert found[1].startswith(
        "supervisedTuningSpec.evaluationConfig.autoraterConfig.samplingCount: "
    )


def test_epoch_count_must_fit_in_an_int64() -> None:
    job = new_job(
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"epochCount": str(2**63)},
        }
    )
    assert problems(job) == [
        f"supervisedTuningSpec.hyperParameters.epochCount: {2**63} does not fit in an int64 "
        f"(at most {2**63 - 1})"
    ]


def test_unknown_fields_are_refused_with_a_suggestion() -> None:
    job = new_job(
        tunedModelDisplayNme="typo",
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"epoch_cnt": 2},
        },
    )
    assert problems(job) == [
        "tunedModelDisplayNme: unknown field, the API would refuse it; did you mean "
        "'tunedModelDisplayName'?",
        "supervisedTuningSpec.hyperParameters.epochCnt: unknown field, the API would refuse it; "
        "did you mean 'epochCount'?",
    ]


def test_v1beta1_only_fields_are_refused_on_v1_only() -> None:
    job = new_job(
        outputUri="gs://bkt/out/",
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"learningRate": 0.001, "batchSize": 8},
        },
    )
    found = problems(job, "v1")
    assert [p.split(":")[0] for p in found] == [
        "outputUri",
        "supervisedTuningSpec.hyperParameters.learningRate",
        "supervisedTuningSpec.hyperParameters.batchSize",
    ]
    assert all("exists only on the v1beta1 API" in p for p in found)
    validate_new_tuning_job(job, api_version="v1beta1")


def test_distillation_is_a_v1beta1_spec_with_checked_uris() -> None:
    job = new_job(
        supervisedTuningSpec=None,
        distillationSpec={"promptDatasetUri": "s3://x/y.jsonl", "baseTeacherModel": "g"},
    )
    assert problems(job, "v1beta1") == [
        "distillationSpec.promptDatasetUri 's3://x/y.jsonl': expected gs://{bucket}/{object}.jsonl"
    ]
    assert any("distillationSpec: exists only on the v1beta1 API" in p for p in problems(job))


def test_unknown_adapter_sizes_and_open_models() -> None:
    job = new_job(
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"adapterSize": 9},
        }
    )
    assert problems(job) == [
        "supervisedTuningSpec.hyperParameters.adapterSize '9': not an adapter size; use one of "
        "ADAPTER_SIZE_ONE, ADAPTER_SIZE_TWO, ADAPTER_SIZE_FOUR, ADAPTER_SIZE_EIGHT, "
        "ADAPTER_SIZE_SIXTEEN"
    ]
    open_model = new_job(
        baseModel="meta/llama3_1@llama-3.1-8b",
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://bkt/t.jsonl",
            "hyperParameters": {"adapterSize": "ADAPTER_SIZE_THIRTY_TWO"},
        },
    )
    validate_new_tuning_job(open_model)


def test_continued_tuning_needs_a_model_name() -> None:
    job = new_job(baseModel=None, preTunedModel={"tunedModelName": "models/123"})
    assert problems(job) == [
        "preTunedModel.tunedModelName: 'models/123': not a model name; expected "
        "projects/{project}/locations/{location}/models/{model}, optionally followed by "
        "@{version_id} or @{alias}"
    ]
    tuned_as_base = new_job(baseModel="projects/p/locations/l/models/1@1")
    assert "put it in preTunedModel.tunedModelName" in problems(tuned_as_base)[0]
    validate_new_tuning_job(
        new_job(
            baseModel=None,
            preTunedModel={
                "tunedModelName": "projects/p/locations/l/models/1@2",
                "checkpointId": "3",
            },
        )
    )


def test_encryption_key_name_is_checked() -> None:
    job = new_job(encryptionSpec={"kmsKeyName": "my-key"})
    assert "keyRings/{key_ring}/cryptoKeys/{key}" in problems(job)[0]
    assert problems(new_job(encryptionSpec={})) == [
        "encryptionSpec.kmsKeyName: required when encryptionSpec is set"
    ]


def test_label_rules() -> None:
    assert label_problems({"équipe": "données", "k_1-x": "", "日本": "値"}) == []
    many = {f"k{i}": "v" for i in range(65)}
    assert label_problems(many) == ["labels: 65 labels; at most 64 are allowed"]
    long_key = "k" * 65
    assert label_problems({long_key: "v"}) == [
        f"labels key {long_key!r}: 65 characters; the limit is 64"
    ]
    assert label_problems({"1abc": "v"}) == [
        "labels key '1abc': must start with a lowercase letter"
    ]
    assert label_problems({"": "v"}) == ["labels: a key is empty; keys need 1-64 characters"]


def test_wrong_types_become_one_invalid_request_error() -> None:
    with pytest.raises(InvalidRequestError) as exc:
        coerce_message(
            TuningJob,
            {"labels": {"a": 1}, "supervisedTuningSpec": {"hyperParameters": {"epochCount": "x"}}},
            "the tuning job to create",
        )
    paths = sorted(p.split(":")[0] for p in exc.value.problems)
    assert paths == ["labels.a", "supervisedTuningSpec.hyperParameters.epochCount"]


def test_rebase_request_rules() -> None:
    validate_rebase_request(
        RebaseTunedModelRequest.model_validate(
            {
                "tunedModelRef": {"tuningJob": "projects/p/locations/l/tuningJobs/1"},
                "artifactDestination": {"outputUriPrefix": "gs://bkt/out"},
            }
        )
    )
    with pytest.raises(InvalidRequestError) as exc:
        validate_rebase_request(
            RebaseTunedModelRequest.model_validate(
                {
                    "tunedModelRef": {"tunedModel": "x", "tuningJob": "y"},
                    "artifactDestination": {},
                    "tuningJob": {"labels": {"A": "b"}, "outputUri": "gs://bkt/o/"},
                }
            )
        )
    assert exc.value.problems == [
        "tunedModelRef: set exactly one of tunedModel, tuningJob, pipelineJob; found 2",
        "artifactDestination.outputUriPrefix: required",
        "tuningJob.outputUri: exists only on the v1beta1 API; remove it, or set the "
        "connection's api_version to v1beta1",
        "tuningJob.labels key 'A': must start with a lowercase letter",
        "tuningJob.labels key 'A': 'A' not allowed; use lowercase letters, digits, '_' and '-'",
    ]


def test_model_update_mask_and_values() -> None:
    assert validate_model_update(
        Model(description="d"), ["description", "default_checkpoint_id"]
    ) == [
        "description",
        "defaultCheckpointId",
    ]
    with pytest.raises(InvalidRequestError) as exc:
        validate_model_update(Model(display_name="x" * 200), ["displayName", "versionId"])
    assert exc.value.problems == [
        "versionId: cannot be changed through this hook; updatable fields are "
        "defaultCheckpointId, description, displayName, labels",
        "displayName: 200 characters; the limit is 128",
    ]
    with pytest.raises(InvalidRequestError, match="nothing to update"):
        validate_model_update(Model(), [])
