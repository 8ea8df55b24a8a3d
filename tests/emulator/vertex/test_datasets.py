"""Datasets read from Cloud Storage: the token rule, the statistics and dataset failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.vertex.datasets import MAX_EXAMPLE_TOKENS
from airflow_provider_tunedmodels.emulator.vertex.tokens import count_tokens as emulator_tokens
from airflow_provider_tunedmodels.emulator.vertex.tokens import distribution
from tests.emulator.vertex.support import (
    Vertex,
    count_tokens,
    job_body,
    jsonl,
    preference_lines,
    turn,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("Hello, world!", 4),
        ("don't stop", 4),
        ("   a  b  ", 2),
        ("x=1+2", 5),
        ("é_1 ü", 2),
    ],
)
def test_the_token_rule(text: str, tokens: int) -> None:
    assert emulator_tokens(text) == tokens == count_tokens(text)


def test_distribution_of_a_population() -> None:
    stats = distribution([1, 2, 3, 4, 100])
    assert stats["sum"] == "110"
    assert (stats["min"], stats["max"], stats["mean"], stats["median"]) == (1, 100, 22, 3)
    assert (stats["p5"], stats["p95"]) == (1, 100)
    assert sum(bucket["count"] for bucket in stats["buckets"]) == 5
    assert distribution([2, 2])["buckets"] == [{"count": 2, "left": 2, "right": 2}]


def _stats_after_processing(vertex: Vertex, body: dict[str, Any]) -> dict[str, Any]:
    name = vertex.create(body)["name"]
    vertex.advance(2)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_RUNNING", job
    stats: dict[str, Any] = job["tuningDataStats"]
    return stats


def test_supervised_statistics_follow_the_token_rule(vertex: Vertex) -> None:
    examples = [
        {
            "systemInstruction": {"role": "system", "parts": [{"text": "Answer briefly."}]},
            "contents": [turn("user", "What is AI?"), turn("model", "AI is, in short, software.")],
        },
        {"contents": [turn(None, "Hi"), turn("model", "Hello there!")]},
        {
            "contents": [
                turn("user", "2+2?"),
                turn("model", "4"),
                turn("user", "and 3+3?"),
                turn("model", "6"),
            ]
        },
        {
            "system_instruction": {"parts": [{"text": "Be kind"}]},
            "contents": [turn("user", "x"), turn("model", "y")],
        },
    ]
    vertex.put_object("gs://tuning-data/rich.jsonl", jsonl(examples))
    stats = _stats_after_processing(vertex, job_body("gs://tuning-data/rich.jsonl"))[
        "supervisedTuningDataStats"
    ]
    inputs = [3 + 4, 1, 4 + 5, 2 + 1]  # system instruction + user turns
    outputs = [count_tokens("AI is, in short, software."), 3, 2, 1]
    assert inputs == [
        count_tokens("Answer briefly.") + count_tokens("What is AI?"),
        count_tokens("Hi"),
        count_tokens("2+2?") + count_tokens("and 3+3?"),
        count_tokens("Be kind") + count_tokens("x"),
    ]
    assert stats["tuningDatasetExampleCount"] == "4"
    assert stats["totalBillableTokenCount"] == str(sum(inputs) + sum(outputs))
    assert stats["userInputTokenDistribution"]["sum"] == str(sum(inputs))
    assert stats["userOutputTokenDistribution"]["sum"] == str(sum(outputs))
    assert stats["userMessagePerExampleDistribution"]["max"] == 4
    # the contents of the first three examples, in order
    samples = stats["userDatasetExamples"]
    assert [sample["parts"][0]["text"] for sample in samples][:3] == [
        "What is AI?",
        "AI is, in short, software.",
        "Hi",
    ]
    assert len(samples) == 2 + 2 + 4
    assert "totalTruncatedExampleCount" not in stats


def test_long_texts_are_cut_in_samples_and_long_examples_reported(vertex: Vertex) -> None:
    long_text = "word " * (MAX_EXAMPLE_TOKENS + 10)
    examples = [
        {"contents": [turn("user", "short"), turn("model", "ok")]},
        {"contents": [turn("user", long_text), turn("model", "ok")]},
    ]
    vertex.put_object("gs://tuning-data/long.jsonl", jsonl(examples))
    stats = _stats_after_processing(vertex, job_body("gs://tuning-data/long.jsonl"))[
        "supervisedTuningDataStats"
    ]
    assert stats["totalTruncatedExampleCount"] == "1"
    assert stats["truncatedExampleIndices"] == ["2"]
    assert "131072" in stats["droppedExampleReasons"][0]
    cut = stats["userDatasetExamples"][2]["parts"][0]["text"]
    assert len(cut) == 403
    assert cut.endswith("...")


def test_preference_statistics(vertex: Vertex) -> None:
    lines = preference_lines(3)
    lines[0]["systemInstruction"] = {"parts": [{"text": "Be polite."}]}
    vertex.put_object("gs://tuning-data/pref.jsonl", jsonl(lines))
    body = {
        "baseModel": "gemini-2.5-flash",
        "preferenceOptimizationSpec": {
            "trainingDatasetUri": "gs://tuning-data/pref.jsonl",
            "hyperParameters": {"epochCount": 1, "beta": 0.1},
        },
    }
    stats = _stats_after_processing(vertex, body)["preferenceOptimizationDataStats"]
    inputs = 3 * count_tokens("prompt 0") + count_tokens("Be polite.")
    outputs = 3 * (count_tokens("preferred 0") + count_tokens("rejected 0"))
    assert stats["tuningDatasetExampleCount"] == "3"
    assert stats["totalBillableTokenCount"] == str(inputs + outputs)
    assert stats["userInputTokenDistribution"]["sum"] == inputs
    first = stats["userDatasetExamples"][0]
    assert [c["score"] for c in first["completions"]] == [1, 0]


def _failed(vertex: Vertex, body: dict[str, Any]) -> dict[str, Any]:
    name = vertex.create(body)["name"]
    vertex.advance(2)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_FAILED", job
    assert job["endTime"] == job["updateTime"]
    assert "tuningDataStats" not in job
    assert "tunedModel" not in job
    error: dict[str, Any] = job["error"]
    assert error["code"] == 3
    return error


def test_a_missing_dataset_fails_the_job_naming_the_uri(vertex: Vertex) -> None:
    error = _failed(vertex, job_body("gs://tuning-data/missing.jsonl"))
    assert "gs://tuning-data/missing.jsonl does not exist" in error["message"]
    body = job_body()
    body["supervisedTuningSpec"]["validationDatasetUri"] = "gs://tuning-data/gone.jsonl"
    assert "gs://tuning-data/gone.jsonl" in _failed(vertex, body)["message"]


def test_an_invalid_dataset_fails_the_job_listing_its_problems(vertex: Vertex) -> None:
    lines = [
        json.dumps({"contents": [turn("user", "a"), turn("model", "b")]}),
        "not json",
        json.dumps({"contents": [turn("user", "a"), turn("user", "b")]}),
        json.dumps({"contents": [turn("assistant", "a")]}),
        json.dumps({"messages": []}),
        json.dumps([1, 2]),
        json.dumps({"contents": [turn("user", "only a question")]}),
        json.dumps({"contents": [{"role": "user", "parts": [{"image": "x"}]}]}),
    ]
    vertex.put_object("gs://tuning-data/bad.jsonl", "\n".join(lines))
    message = _failed(vertex, job_body("gs://tuning-data/bad.jsonl"))["message"]
    assert message.startswith(
        "The dataset gs://tuning-data/bad.jsonl is invalid: line 2: not valid JSON"
    )
    for fragment in ("line 3:", "roles must alternate", "line 4:", "line 5:", "line 6:"):
        assert fragment in message
    assert message.endswith("(and 2 more problems).")


def test_a_vertex_dataset_resource_is_accepted_but_not_readable(vertex: Vertex) -> None:
    message = _failed(vertex, job_body("projects/p/locations/us-central1/datasets/123"))["message"]
    assert "Cloud Storage only" in message


def test_the_training_file_decides_steps_per_epoch(vertex: Vertex) -> None:
    vertex.put_object(
        "gs://tuning-data/big.jsonl",
        jsonl([{"contents": [turn("user", str(i)), turn("model", str(i))]} for i in range(40)]),
    )
    name = vertex.create(job_body("gs://tuning-data/big.jsonl", epochs=1))["name"]
    vertex.advance(5)  # 40 examples, 16 a step: 3 steps of training
    assert vertex.get(name)["tuningJobMetadata"] == {
        "completedEpochCount": "1",
        "completedStepCount": "3",
    }
