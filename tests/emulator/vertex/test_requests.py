"""Create requests: every rule checked at once, lenient encodings in, strict proto3 JSON out."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.vertex.validation import ADAPTER_NOT_SUPPORTED
from tests.emulator.vertex.support import TRAIN_URI, Vertex, assert_error, job_body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"supervisedTuningSpec": {"trainingDatasetUri": TRAIN_URI}},
            "Exactly one of tuning_job.base_model",
        ),
        (
            job_body(preTunedModel={"tunedModelName": "projects/p/locations/us-central1/models/1"}),
            "Exactly one of tuning_job.base_model",
        ),
        ({"baseModel": "gemini-2.5-flash"}, "Exactly one tuning spec"),
        (
            {
                **job_body(),
                "preferenceOptimizationSpec": {"trainingDatasetUri": TRAIN_URI},
            },
            "Exactly one tuning spec",
        ),
        (job_body("https://example.com/data.jsonl"), "must be a Cloud Storage object"),
        (job_body("gs://bucket-only"), "must be a Cloud Storage object"),
        (job_body(tunedModelDisplayName="x" * 129), "at most 128 characters"),
        (job_body(labels={"Team": "nlp"}), "must start with a lowercase letter"),
        (job_body(labels={"team": "NLP"}), "value 'NLP' of 'team' may only hold"),
        (job_body(baseModel="gemini-0.1-nano"), "is not supported for tuning"),
        (job_body(epochs=0), "epoch_count must be positive"),
    ],
)
def test_invalid_requests(vertex: Vertex, body: dict[str, Any], message: str) -> None:
    response = vertex.call("POST", f"{vertex.parent()}/tuningJobs", json=body)
    assert_error(response, 400, "INVALID_ARGUMENT", message)


def test_every_problem_is_reported_at_once(vertex: Vertex) -> None:
    body = job_body("ftp://x", tunedModelDisplayName="x" * 200, labels={"Bad": "v"})
    error = assert_error(
        vertex.call("POST", f"{vertex.parent()}/tuningJobs", json=body), 400, "INVALID_ARGUMENT"
    )
    assert error["message"].startswith("The request has 3 problems:")
    for fragment in ("training_dataset_uri", "tuned_model_display_name", "lowercase letter"):
        assert fragment in error["message"]


@pytest.mark.parametrize(
    ("model", "size", "supported"),
    [
        ("gemini-2.5-flash", "ADAPTER_SIZE_SIXTEEN", True),
        ("gemini-2.5-flash", "ADAPTER_SIZE_THIRTY_TWO", False),
        ("gemini-1.5-pro-002", "ADAPTER_SIZE_EIGHT", False),
        ("gemini-1.5-pro-002", "ADAPTER_SIZE_FOUR", True),
    ],
)
def test_adapter_table(vertex: Vertex, model: str, size: str, supported: bool) -> None:
    body = job_body(baseModel=model)
    body["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] = size
    response = vertex.call("POST", f"{vertex.parent()}/tuningJobs", json=body)
    if supported:
        assert response.status_code == 200, response.text
    else:
        error = assert_error(response, 400, "INVALID_ARGUMENT")
        assert error["message"] == ADAPTER_NOT_SUPPORTED


def test_unknown_fields_are_refused_like_googles_front_end(vertex: Vertex) -> None:
    error = assert_error(
        vertex.call("POST", f"{vertex.parent()}/tuningJobs", json=job_body(colour="red")),
        400,
        "INVALID_ARGUMENT",
    )
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"colour\" at 'tuning_job': Cannot find field."
    )
    [detail] = error["details"]
    assert detail["@type"] == "type.googleapis.com/google.rpc.BadRequest"
    assert detail["fieldViolations"] == [{"field": "tuning_job", "description": error["message"]}]


def test_v1beta1_only_keys_are_unknown_on_v1_but_preference_tuning_is_not(vertex: Vertex) -> None:
    body = job_body()
    body["supervisedTuningSpec"]["hyperParameters"]["batchSize"] = 4
    assert_error(
        vertex.call("POST", f"{vertex.parent('v1')}/tuningJobs", json=body),
        400,
        "INVALID_ARGUMENT",
        "Unknown name \"batchSize\" at 'tuning_job.supervised_tuning_spec.hyper_parameters'",
    )
    beta = vertex.create(body, "v1beta1")
    assert beta["supervisedTuningSpec"]["hyperParameters"]["batchSize"] == "4"
    assert (
        "batchSize" not in vertex.get(beta["name"], "v1")["supervisedTuningSpec"]["hyperParameters"]
    )
    preference = {
        "baseModel": "gemini-2.5-flash",
        "preferenceOptimizationSpec": {"trainingDatasetUri": TRAIN_URI},
    }
    assert vertex.create(preference, "v1")["preferenceOptimizationSpec"] == {
        "trainingDatasetUri": TRAIN_URI
    }


def test_google_genai_encoding_snake_case_inside_camel_case_and_int64_numbers(
    vertex: Vertex,
) -> None:
    body = {
        "base_model": "gemini-2.5-flash",
        "supervised_tuning_spec": {
            "training_dataset_uri": TRAIN_URI,
            "hyper_parameters": {"epoch_count": 3, "adapter_size": "ADAPTER_SIZE_FOUR"},
        },
        "tuned_model_display_name": "snake",
    }
    job = vertex.create(body)
    assert job["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "3",
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }
    assert job["tunedModelDisplayName"] == "snake"


def test_aiplatform_encoding_int64_strings_enum_numbers_and_numeric_answers(vertex: Vertex) -> None:
    body = job_body(epochs=None)
    body["supervisedTuningSpec"]["hyperParameters"] = {"epochCount": "4", "adapterSize": 2}
    path = f"{vertex.parent()}/tuningJobs"
    job = vertex.ok("POST", path, json=body, params={"$alt": "json;enum-encoding=int"})
    assert job["state"] == 2  # JOB_STATE_PENDING
    assert job["supervisedTuningSpec"]["hyperParameters"] == {"epochCount": "4", "adapterSize": 2}
    named = vertex.get(job["name"])
    assert named["state"] == "JOB_STATE_PENDING"
    assert named["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == "ADAPTER_SIZE_FOUR"


def test_output_only_fields_in_the_request_are_ignored(vertex: Vertex) -> None:
    body = job_body(state="JOB_STATE_SUCCEEDED", name="projects/x/locations/y/tuningJobs/1")
    job = vertex.create(body)
    assert job["state"] == "JOB_STATE_PENDING"
    assert not job["name"].endswith("/tuningJobs/1")


def test_trailing_commas_and_ignored_query_parameters(vertex: Vertex) -> None:
    raw = b'{"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": {"trainingDatasetUri": "gs://tuning-data/train.jsonl",},}'
    response = vertex.call(
        "POST",
        f"{vertex.parent()}/tuningJobs",
        content=raw,
        params={"alt": "json", "prettyPrint": "false", "$.xgafv": "2"},
        headers={"x-goog-user-project": "billing-project"},
    )
    assert response.status_code == 200, response.text
