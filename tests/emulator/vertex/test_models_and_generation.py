"""The Model Registry, experiment contexts, continuous tuning and generation on endpoints."""

from __future__ import annotations

import json
from typing import Any

from tests.emulator.vertex.support import (
    LOCATION,
    Vertex,
    assert_error,
    job_body,
    jsonl,
    supervised_lines,
    turn,
)


def _succeeded(
    vertex: Vertex, body: dict[str, Any] | None = None, steps: int = 7
) -> dict[str, Any]:
    name = vertex.create(body or job_body())["name"]
    vertex.advance(steps)
    job = vertex.get(name)
    assert job["state"] == "JOB_STATE_SUCCEEDED", job
    return job


def _ask(vertex: Vertex, target: str, text: str, **config: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"contents": [turn("user", text)]}
    if config:
        body["generationConfig"] = config
    answer: dict[str, Any] = vertex.ok("POST", f"/v1/{target}:generateContent", json=body)
    return answer


def _text(answer: dict[str, Any]) -> str:
    return "".join(part["text"] for part in answer["candidates"][0]["content"]["parts"])


def test_models_get_and_patch(vertex: Vertex) -> None:
    job = _succeeded(vertex, job_body(tunedModelDisplayName="support bot"))
    versioned = job["tunedModel"]["model"]
    model_name = versioned.partition("@")[0]
    model = vertex.ok("GET", f"/v1/{model_name}")
    assert model == vertex.ok("GET", f"/v1beta1/{versioned}")
    assert (model["name"], model["displayName"], model["versionId"]) == (
        model_name,
        "support bot",
        "1",
    )
    assert model["versionAliases"] == ["default"]
    assert model["defaultCheckpointId"] == "2"
    patched = vertex.ok(
        "PATCH",
        f"/v1/{versioned}",
        params={"updateMask": "displayName,description,labels"},
        json={"displayName": "renamed", "description": "answers tickets", "labels": {"env": "dev"}},
    )
    assert (patched["displayName"], patched["description"], patched["labels"]) == (
        "renamed",
        "answers tickets",
        {"env": "dev"},
    )
    assert_error(
        vertex.call("PATCH", f"/v1/{versioned}", json={}), 400, "INVALID_ARGUMENT", "update_mask"
    )
    assert_error(
        vertex.call("PATCH", f"/v1/{versioned}", params={"updateMask": "name"}, json={}),
        400,
        "INVALID_ARGUMENT",
        "cannot be updated",
    )
    assert_error(vertex.call("GET", f"/v1/{model_name}@7"), 404, "NOT_FOUND")


def test_a_new_default_checkpoint_repoints_the_job_endpoint(vertex: Vertex) -> None:
    job = _succeeded(vertex)
    first, final = job["tunedModel"]["checkpoints"]
    assert job["tunedModel"]["endpoint"] == final["endpoint"]
    versioned = job["tunedModel"]["model"]
    mask = {"update_mask": "default_checkpoint_id"}
    vertex.ok("PATCH", f"/v1/{versioned}", params=mask, json={"defaultCheckpointId": "1"})
    assert vertex.get(job["name"])["tunedModel"]["endpoint"] == first["endpoint"]
    assert vertex.ok("GET", f"/v1/{versioned}")["defaultCheckpointId"] == "1"
    assert_error(
        vertex.call("PATCH", f"/v1/{versioned}", params=mask, json={"defaultCheckpointId": "9"}),
        400,
        "INVALID_ARGUMENT",
        "one of the version's checkpoints",
    )
    assert _text(_ask(vertex, first["endpoint"], "question 3")) == "answer to 3"


def test_experiment_context(vertex: Vertex) -> None:
    job = _succeeded(vertex)
    context = vertex.ok("GET", f"/v1/{job['experiment']}")
    assert context["name"] == job["experiment"]
    assert context["schemaTitle"] == "system.Experiment"
    assert_error(vertex.call("GET", f"/v1/{job['experiment']}0"), 404, "NOT_FOUND")


def test_continuous_tuning_adds_a_version_and_learns_both_datasets(vertex: Vertex) -> None:
    parent = _succeeded(vertex)
    vertex.put_object("gs://tuning-data/more.jsonl", jsonl(supervised_lines(4, offset=100)))
    body = {
        "preTunedModel": {"tuned_model_name": parent["tunedModel"]["model"], "checkpoint_id": "2"},
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://tuning-data/more.jsonl",
            "hyperParameters": {"epochCount": 1},
        },
    }
    child = _succeeded(vertex, body, steps=4)
    assert child["preTunedModel"] == {
        "tunedModelName": parent["tunedModel"]["model"],
        "checkpointId": "2",
        "baseModel": "gemini-2.5-flash",
    }
    assert "baseModel" not in child
    assert child["tunedModel"]["model"] == parent["tunedModel"]["model"].replace("@1", "@2")
    endpoint = child["tunedModel"]["endpoint"]
    assert _text(_ask(vertex, endpoint, "question 101")) == "answer to 101"
    assert _text(_ask(vertex, endpoint, "question 5")) == "answer to 5"
    model_name = parent["tunedModel"]["model"].partition("@")[0]
    assert vertex.ok("GET", f"/v1/{model_name}")["versionId"] == "2"
    renamed = {**body, "tunedModelDisplayName": "a new model"}
    other = _succeeded(vertex, renamed, steps=4)
    assert other["tunedModel"]["model"].partition("@")[0] != model_name
    assert other["tunedModel"]["model"].endswith("@1")


def test_continuous_tuning_refuses_unknown_models_and_checkpoints(vertex: Vertex) -> None:
    parent = _succeeded(vertex)
    body = {
        "preTunedModel": {"tunedModelName": parent["tunedModel"]["model"], "checkpointId": "7"},
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://tuning-data/train.jsonl"},
    }
    path = f"{vertex.parent()}/tuningJobs"
    assert_error(vertex.call("POST", path, json=body), 400, "INVALID_ARGUMENT", "Checkpoint 7")
    body["preTunedModel"] = {"tunedModelName": f"projects/p/locations/{LOCATION}/models/123"}
    assert_error(vertex.call("POST", path, json=body), 404, "NOT_FOUND")


def test_endpoint_answers_from_training_data(vertex: Vertex) -> None:
    endpoint = _succeeded(vertex)["tunedModel"]["endpoint"]
    answer = _ask(vertex, endpoint, "question 7")
    assert _text(answer) == "answer to 7"
    assert answer["candidates"][0]["finishReason"] == "STOP"
    usage = answer["usageMetadata"]
    assert (usage["promptTokenCount"], usage["candidatesTokenCount"], usage["totalTokenCount"]) == (
        2,
        3,
        5,
    )
    assert _text(_ask(vertex, endpoint, "QUESTION  12?")) == "answer to 12"
    short = _ask(vertex, endpoint, "question 7", maxOutputTokens=1, candidateCount=2)
    assert _text(short) == "answer"
    assert short["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert len(short["candidates"]) == 2
    assert _text(_ask(vertex, endpoint, "question 7", stopSequences=[" to"])) == "answer"


def test_streams_come_in_several_chunks_as_sse_or_a_json_array(vertex: Vertex) -> None:
    endpoint = _succeeded(vertex)["tunedModel"]["endpoint"]
    body = {"contents": [turn("user", "question 9")]}
    sse = vertex.call(
        "POST", f"/v1/{endpoint}:streamGenerateContent", params={"alt": "sse"}, json=body
    )
    assert sse.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line.removeprefix("data: ")) for line in sse.text.split("\r\n\r\n") if line
    ]
    assert len(events) > 1
    assert "".join(_text(event) for event in events) == "answer to 9"
    assert "usageMetadata" in events[-1]
    assert "finishReason" not in events[0]["candidates"][0]
    array = vertex.call("POST", f"/v1beta1/{endpoint}:streamGenerateContent", json=body)
    chunks = json.loads(array.text)
    assert array.text.startswith("[")
    assert "".join(_text(chunk) for chunk in chunks) == "answer to 9"


def test_intermediate_checkpoints_serve_while_tuning_runs(vertex: Vertex) -> None:
    name = vertex.create(job_body(epochs=3))["name"]
    vertex.advance(3)
    assert "tunedModel" not in vertex.get(name)
    vertex.advance(1)
    [checkpoint] = vertex.get(name)["tunedModel"]["checkpoints"]
    assert _text(_ask(vertex, checkpoint["endpoint"], "question 1")) == "answer to 1"


def test_publisher_models_answer_generically(vertex: Vertex) -> None:
    target = f"projects/demo-project/locations/{LOCATION}/publishers/google/models/gemini-2.5-flash"
    text = _text(_ask(vertex, target, "question 7"))
    assert text != "answer to 7"
    assert "question 7" in text
    missing = target.replace("gemini-2.5-flash", "gemini-9")
    assert_error(
        vertex.call(
            "POST", f"/v1/{missing}:generateContent", json={"contents": [turn("user", "x")]}
        ),
        404,
        "NOT_FOUND",
        "Publisher Model",
    )


def test_endpoints_that_are_not_deployed_do_not_exist(vertex: Vertex) -> None:
    job = vertex.create(job_body())
    target = f"{job['name'].split('/tuningJobs/')[0]}/endpoints/1234567890123456789"
    response = vertex.call(
        "POST", f"/v1/{target}:generateContent", json={"contents": [turn("user", "x")]}
    )
    assert_error(response, 404, "NOT_FOUND", "Endpoint")
    endpoint = _succeeded(vertex)["tunedModel"]["endpoint"]
    assert_error(
        vertex.call("POST", f"/v1/{endpoint}:generateContent", json={"contents": []}),
        400,
        "INVALID_ARGUMENT",
    )
