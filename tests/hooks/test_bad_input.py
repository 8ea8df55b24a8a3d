"""Bad input is refused by the hook before any request, with a message that says what to fix."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

PERMISSION = "tunedModels/m1/permissions/p1"
OPERATION = "tunedModels/m1/operations/o1"
GRANT = {"granteeType": "USER", "emailAddress": "a@example.com", "role": "READER"}


def create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {
            "trainingData": {"examples": {"examples": [{"textInput": "1", "output": "2"}]}}
        },
    }
    body.update(changes)
    return body


def refused(call: Callable[[], Any]) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(
    ("call", "field", "kind_given"),
    [
        (lambda h: h.delete_tuned_model(PERMISSION), "name", "a permission"),
        (lambda h: h.get_tuned_model(PERMISSION), "name", "a permission"),
        (lambda h: h.update_tuned_model(OPERATION, {"description": "d"}), "name", "an operation"),
        (lambda h: h.transfer_ownership(PERMISSION, "a@example.com"), "name", "a permission"),
        (lambda h: h.get_operation("tunedModels/m1"), "name", "a tuned model"),
        (lambda h: h.cancel_operation(PERMISSION), "name", "a permission"),
        (lambda h: h.get_permission(OPERATION), "name", "an operation"),
        (lambda h: h.delete_permission("tunedModels/m1"), "name", "a tuned model"),
        (lambda h: h.update_permission(OPERATION, "READER"), "name", "an operation"),
        (lambda h: h.create_permission(PERMISSION, GRANT), "tuned_model", "a permission"),
        (lambda h: h.list_permissions(OPERATION), "tuned_model", "an operation"),
        (lambda h: h.list_operations(PERMISSION), "tuned_model", "a permission"),
        (lambda h: h.get_model("tunedModels/m1"), "name", "a tuned model"),
        (lambda h: h.generate_content(PERMISSION, "hi"), "model", None),
    ],
)
def test_a_name_of_another_kind_is_refused_before_any_request(
    hook: GeminiTunedModelsHook,
    api: respx.MockRouter,
    call: Callable[[GeminiTunedModelsHook], Any],
    field: str,
    kind_given: str | None,
) -> None:
    error = refused(lambda: call(hook))
    assert error.what == field
    if kind_given:
        assert f"is the name of {kind_given}" in str(error)
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "tunedModels/",
        "tunedModels/M1",
        "tunedModels/m1:generateContent",
        "tunedModels/..",
        "a/b",
        "",
    ],
)
def test_malformed_tuned_model_names_are_refused(
    hook: GeminiTunedModelsHook, api: respx.MockRouter, bad: str
) -> None:
    assert "tunedModels/<id>" in str(refused(lambda: hook.get_tuned_model(bad)))
    assert len(api.calls) == 0


def test_short_and_padded_names_are_accepted(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.get("tunedModels/m1").mock(
        return_value=httpx.Response(200, json={"name": "tunedModels/m1"})
    )
    api.get("models/gemini-1.5-flash-001-tuning").mock(
        return_value=httpx.Response(200, json={"name": "models/gemini-1.5-flash-001-tuning"})
    )
    assert hook.get_tuned_model("m1").name == "tunedModels/m1"
    assert hook.get_tuned_model(" tunedModels/m1\n").name == "tunedModels/m1"
    assert (
        hook.get_model("gemini-1.5-flash-001-tuning").name == "models/gemini-1.5-flash-001-tuning"
    )


def test_a_misspelled_field_is_named_with_the_closest_real_one(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    body = create_body(displayname="x")
    body["tuningTask"]["hyper_parameters"] = {"epoch_count": 2}
    message = str(refused(lambda: hook.create_tuned_model(body, tuned_model_id="m1")))
    assert "displayname: not a field of TunedModel; did you mean 'displayName'?" in message
    assert "tuningTask.hyper_parameters: not a field of TuningTask; did you mean" in message
    assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"readerProjectNumbers": [2**63]},
            "readerProjectNumbers[0]: 9223372036854775808 is outside the int64 range",
        ),
        ({"top_k": 2**31}, "top_k: 2147483648 is outside the int32 range"),
        ({"temperature": math.nan}, "temperature: nan is not a finite number"),
        ({"top_p": math.inf}, "top_p: inf is not a finite number"),
        ({"temperature": 1e39}, "temperature: 1e+39 is not a finite number"),
    ],
)
def test_numbers_the_api_cannot_take_are_named_by_field(
    hook: GeminiTunedModelsHook, api: respx.MockRouter, changes: dict[str, Any], expected: str
) -> None:
    message = str(
        refused(lambda: hook.create_tuned_model(create_body(**changes), tuned_model_id="m1"))
    )
    assert expected in message
    assert len(api.calls) == 0


def test_an_infinite_learning_rate_names_its_field_in_the_callers_spelling(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    body = create_body()
    body["tuning_task"] = body.pop("tuningTask")
    body["tuning_task"]["hyperparameters"] = {"learning_rate": math.inf}
    message = str(refused(lambda: hook.create_tuned_model(body, tuned_model_id="m1")))
    assert "tuning_task.hyperparameters.learning_rate: inf is not a finite number" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.create_tuned_model(None, tuned_model_id="m1"),
        lambda h: h.update_tuned_model("m1", None),
        lambda h: h.create_permission("m1", None),
        lambda h: h.generate_content("m1", None),
    ],
)
def test_none_as_the_request_is_a_clear_error(
    hook: GeminiTunedModelsHook, api: respx.MockRouter, call: Callable[[GeminiTunedModelsHook], Any]
) -> None:
    assert "got None" in str(refused(lambda: call(hook)))
    assert len(api.calls) == 0


@pytest.mark.parametrize("prompt", ["", "   \n"])
def test_an_empty_prompt_is_refused(
    hook: GeminiTunedModelsHook, api: respx.MockRouter, prompt: str
) -> None:
    assert "the prompt is empty" in str(refused(lambda: hook.generate_content("m1", prompt)))
    request = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    assert "contents[0].parts" in str(refused(lambda: hook.generate_content("m1", request)))
    assert "contents: empty" in str(refused(lambda: hook.generate_content("m1", {"contents": []})))
    assert len(api.calls) == 0


def test_an_update_mask_is_reported_as_written_with_its_reason(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    message = str(
        refused(
            lambda: hook.update_tuned_model(
                "m1", {"description": "d"}, update_mask="tuningTask.hyperparameters.epochCount"
            )
        )
    )
    assert "tuningTask.hyperparameters.epochCount: is immutable (training data" in message
    assert len(api.calls) == 0


def test_page_sizes_above_the_cap_are_sent_and_zero_means_the_default(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.get("tunedModels").mock(return_value=httpx.Response(200, json={}))
    hook.list_tuned_models(page_size=5000)
    assert route.calls.last.request.url.params["pageSize"] == "5000"
    hook.list_tuned_models(page_size=0)
    assert "pageSize" not in route.calls.last.request.url.params
    assert "negative" in str(refused(lambda: hook.list_tuned_models(page_size=-1)))


def test_top_k_zero_is_sent_and_a_blank_output_is_refused(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.post("tunedModels").mock(
        return_value=httpx.Response(200, json={"name": "tunedModels/m1/operations/o1"})
    )
    hook.create_tuned_model(create_body(topK=0), tuned_model_id="m1")
    assert b'"topK":0' in route.calls.last.request.content
    blank = create_body()
    blank["tuningTask"]["trainingData"]["examples"]["examples"][0]["output"] = " \n"
    message = str(refused(lambda: hook.create_tuned_model(blank, tuned_model_id="m2")))
    assert "examples[0].output: only whitespace" in message
    assert len(api.calls) == 1
