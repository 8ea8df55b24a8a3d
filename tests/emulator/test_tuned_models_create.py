"""tunedModels.create, the create operation and the tuning lifecycle."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.support import BASE_MODEL, Api, assert_error, create_body, examples

METADATA_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
TUNED_MODEL_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z$")


def test_create_answers_an_operation_at_once(api: Api) -> None:
    operation = api.create(create_body(15, epochs=5, batch=2, displayName="Number Generator"))
    model = operation["metadata"]["tunedModel"]
    assert re.fullmatch(r"tunedModels/number-generator-[a-z0-9]{12}", model)
    assert re.fullmatch(re.escape(model) + r"/operations/[a-z0-9]{12}", operation["name"])
    assert operation["metadata"] == {
        "@type": METADATA_TYPE,
        "totalSteps": 38,
        "tunedModel": model,
    }
    assert "done" not in operation


def test_model_is_visible_at_once_in_creating(api: Api) -> None:
    operation = api.create(create_body(20, epochs=50, batch=1))
    model = api.get(f"/v1beta/{operation['metadata']['tunedModel']}").json()
    assert model["state"] == "CREATING"
    assert model["createTime"] == model["updateTime"]
    assert "completeTime" not in model["tuningTask"]
    assert "trainingData" not in model["tuningTask"]
    assert model["tuningTask"]["hyperparameters"] == {
        "learningRate": 0.001,
        "epochCount": 50,
        "batchSize": 1,
    }


def test_progress_then_active_with_snapshots_and_done_operation(api: Api) -> None:
    operation = api.create(create_body(15, epochs=3, batch=4, learning_rate=0.002))
    name = operation["metadata"]["tunedModel"]
    seen_partial = False
    while True:
        polled = api.get(f"/v1/{operation['name']}").json()
        metadata = polled["metadata"]
        completed = metadata.get("completedSteps", 0)
        if 0 < completed < 12:
            seen_partial = True
            assert metadata["completedPercent"] == pytest.approx(completed / 12 * 100, rel=1e-6)
            assert len(metadata["snapshots"]) == completed
        if polled.get("done"):
            break
        time.sleep(0.005)
    assert seen_partial
    assert metadata["completedSteps"] == 12
    assert metadata["completedPercent"] == 100.0
    response = polled["response"]
    assert response["@type"] == TUNED_MODEL_TYPE
    assert response["state"] == "ACTIVE"
    model = api.get(f"/v1beta/{name}").json()
    assert {"@type": TUNED_MODEL_TYPE, **model} == response
    task = model["tuningTask"]
    assert task["completeTime"] == model["updateTime"]
    for timestamp in (model["createTime"], task["startTime"], task["completeTime"]):
        assert TIMESTAMP.match(timestamp), timestamp
    snapshots = task["snapshots"]
    assert [s["step"] for s in snapshots] == list(range(1, 13))
    assert "epoch" not in snapshots[0]
    assert [s.get("epoch", 0) for s in snapshots] == [step * 4 // 15 for step in range(1, 13)]
    assert all(set(s) <= {"step", "epoch", "meanLoss", "computeTime"} for s in snapshots)
    assert snapshots[-1]["meanLoss"] < snapshots[0]["meanLoss"]
    assert task["hyperparameters"] == {"learningRate": 0.002, "epochCount": 3, "batchSize": 4}
    assert (model["temperature"], model["topP"], model["topK"]) == (1.0, 0.95, 64)


def test_defaults_when_hyperparameters_are_omitted(api: Api) -> None:
    body = create_body(20, epochs=None, batch=None)
    del body["tuningTask"]["hyperparameters"]
    operation = api.create(body)
    assert operation["metadata"]["totalSteps"] == 25  # 20 examples x 5 epochs / 4
    model = api.get(f"/v1beta/{operation['metadata']['tunedModel']}").json()
    assert model["tuningTask"]["hyperparameters"] == {
        "learningRate": 0.001,
        "epochCount": 5,
        "batchSize": 4,
    }
    assert "displayName" not in model
    assert re.fullmatch(r"tunedModels/[a-z][a-z0-9]{10}", model["name"])


def test_learning_rate_multiplier_is_echoed(api: Api) -> None:
    body = create_body(8)
    body["tuningTask"]["hyperparameters"]["learningRateMultiplier"] = 2.5
    name = api.tuned(body)
    hyper = api.get(f"/v1beta/{name}").json()["tuningTask"]["hyperparameters"]
    assert hyper == {"learningRateMultiplier": 2.5, "epochCount": 1, "batchSize": 4}


@pytest.mark.parametrize(
    ("display_name", "prefix"),
    [
        ("number generator model", "number-generator-model-"),
        ("my display name 81", "my-display-name-81-"),
        ("test_number_generator", "testnumbergenerator-"),
        ("Ünïcode & Co!", "ncode-co-"),
    ],
)
def test_names_derive_from_the_display_name(api: Api, display_name: str, prefix: str) -> None:
    name = api.create(create_body(4, displayName=display_name))["metadata"]["tunedModel"]
    model_id = name.removeprefix("tunedModels/")
    assert model_id.startswith(prefix)
    assert re.fullmatch(r"[a-z0-9]{12}", model_id.removeprefix(prefix))
    assert len(model_id) <= 40


def test_long_display_name_still_gives_a_valid_id(api: Api) -> None:
    name = api.create(create_body(4, displayName="a" * 40))["metadata"]["tunedModel"]
    assert re.fullmatch(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?", name.removeprefix("tunedModels/"))


def test_tuned_model_id_and_already_exists(api: Api) -> None:
    operation = api.create(create_body(4), model_id="my-model-1")
    assert operation["metadata"]["tunedModel"] == "tunedModels/my-model-1"
    response = api.post(
        "/v1beta/tunedModels", params={"tunedModelId": "my-model-1"}, json=create_body(4)
    )
    assert_error(response, 409, "ALREADY_EXISTS", "tunedModels/my-model-1")


def test_lenient_input_snake_case_trailing_commas_and_alt_params(api: Api) -> None:
    body = (
        b'{"display_name": "snake", "base_model": "models/gemini-1.5-flash-001-tuning",'
        b' "tuning_task": {"hyperparameters": {"batch_size": 2, "epoch_count": 1, "learning_rate": 0.001,},'
        b' "training_data": {"examples": {"examples": [{"text_input": "1", "output": "2"},'
        b' {"text_input": "3", "output": "4"},]}}}}'
    )
    response = api.post(
        "/v1beta/tunedModels",
        content=body,
        params={
            "tuned_model_id": "snake-model",
            "$alt": "json;enum-encoding=int",
            "prettyPrint": "false",
        },
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["metadata"]["tunedModel"] == "tunedModels/snake-model"
    assert response.json()["metadata"]["totalSteps"] == 1


def _create_error(
    api: Api, body: dict[str, Any], params: dict[str, str] | None = None
) -> dict[str, Any]:
    return assert_error(
        api.post("/v1beta/tunedModels", json=body, params=params), 400, "INVALID_ARGUMENT"
    )


@pytest.mark.parametrize("model_id", ["1abc", "abc-", "Abc", "a_b", "a" * 41, "-a"])
def test_invalid_tuned_model_ids(api: Api, model_id: str) -> None:
    error = _create_error(api, create_body(4), {"tunedModelId": model_id})
    assert "tuned_model_id" in error["message"]


def test_forty_character_id_is_accepted(api: Api) -> None:
    assert (
        api.create(create_body(2), "a" * 40)["metadata"]["tunedModel"] == "tunedModels/" + "a" * 40
    )


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (create_body(4, displayName="x" * 41), "display_name"),
        (_without(create_body(4), "baseModel"), "base_model"),
        (create_body(4, tunedModelSource={"tunedModel": "tunedModels/x"}), "Only one of"),
        (_without(create_body(4), "tuningTask"), "tuning_task is required"),
        (_without(create_body(4), "tuningTask", "trainingData"), "training_data is required"),
        (create_body(example_list=[]), "at least one example"),
        (create_body(example_list=[{"textInput": "a"}]), "output is required"),
        (create_body(example_list=[{"textInput": "a", "output": " \n\t"}]), "must not be blank"),
        (
            create_body(example_list=[{"textInput": "a" * 40_001, "output": "b"}]),
            "text_input is longer",
        ),
        (create_body(example_list=[{"textInput": "a", "output": "b" * 5_001}]), "output is longer"),
        (create_body(4, temperature=1.5), "temperature"),
        (create_body(4, topP=1.5), "top_p"),
        (create_body(4, topK=-1), "top_k"),
        (create_body(4, epochs=0), "epoch_count must be positive"),
        (create_body(4, batch=-2), "batch_size must be positive"),
        (create_body(4, learning_rate=0.0), "learning_rate must be positive"),
        (create_body(4, colour="red"), 'Unknown name "colour"'),
    ],
)
def test_documented_create_rules(api: Api, body: dict[str, Any], fragment: str) -> None:
    assert fragment in _create_error(api, body)["message"]
    assert api.get("/v1beta/tunedModels").json() == {}


def test_learning_rate_and_multiplier_are_a_oneof(api: Api) -> None:
    body = create_body(4, learning_rate=0.001)
    body["tuningTask"]["hyperparameters"]["learningRateMultiplier"] = 1.0
    assert "Only one of" in _create_error(api, body)["message"]


def test_unknown_base_model_is_not_found(api: Api) -> None:
    body = create_body(4, baseModel="models/gemini-9-ultra")
    error = assert_error(api.post("/v1beta/tunedModels", json=body), 404, "NOT_FOUND")
    assert error["message"].startswith("models/gemini-9-ultra is not found for API version v1beta")


def test_tuned_model_source_inherits_examples(api: Api) -> None:
    parent = api.tuned(
        create_body(example_list=[{"textInput": "ping", "output": "pong"}, *examples(3)])
    )
    body = _without(
        create_body(example_list=[{"textInput": "hello", "output": "world"}]), "baseModel"
    )
    body["tunedModelSource"] = {"tunedModel": parent, "baseModel": "models/ignored-output-only"}
    operation = api.create(body)
    assert operation["metadata"]["totalSteps"] == 2  # 4 inherited + 1 new examples, batch 4
    child = operation["metadata"]["tunedModel"]
    api.wait_done(operation["name"])
    model = api.get(f"/v1beta/{child}").json()
    assert model["tunedModelSource"] == {"tunedModel": parent, "baseModel": BASE_MODEL}
    assert "baseModel" not in model
    for prompt, answer in (("ping", "pong"), ("hello", "world")):
        generated = api.post(
            f"/v1beta/{child}:generateContent", json={"contents": [{"parts": [{"text": prompt}]}]}
        ).json()
        assert generated["candidates"][0]["content"]["parts"][0]["text"] == answer


def test_tuned_model_source_must_exist_and_be_active(api: Api) -> None:
    body = _without(create_body(4), "baseModel")
    body["tunedModelSource"] = {"tunedModel": "tunedModels/missing"}
    assert_error(api.post("/v1beta/tunedModels", json=body), 404, "NOT_FOUND")
    running = api.create(create_body(20, epochs=100, batch=1))["metadata"]["tunedModel"]
    body["tunedModelSource"] = {"tunedModel": running}
    assert_error(
        api.post("/v1beta/tunedModels", json=body), 400, "FAILED_PRECONDITION", "not ACTIVE"
    )


def test_same_seed_same_data_same_loss_curve(emulator: RunningEmulator, api: Api) -> None:
    first = api.tuned(create_body(8, epochs=2))
    losses = [s["meanLoss"] for s in api.get(f"/v1beta/{first}").json()["tuningTask"]["snapshots"]]
    emulator.reset()
    second = api.tuned(create_body(8, epochs=2))
    again = [s["meanLoss"] for s in api.get(f"/v1beta/{second}").json()["tuningTask"]["snapshots"]]
    assert losses == again
    other = api.tuned(create_body(8, epochs=2, learning_rate=0.003))
    faster = [s["meanLoss"] for s in api.get(f"/v1beta/{other}").json()["tuningTask"]["snapshots"]]
    assert faster != losses
