"""GenerateContentOperator: request shapes, ordering, bounded concurrency, failures, emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.core.errors import InvalidArgumentError
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator
from tests.operators.gemini_fake import (
    HEAVY_PROVIDER_MODULES,
    FakeGeminiApi,
    error,
    provider_modules_loaded_by,
)
from tests.support.emulator import emulator_hook, train

TUNED = "tunedModels/router"
GENERATE_PATH = f"/v1beta/{TUNED}:generateContent"


@pytest.fixture
def api() -> FakeGeminiApi:
    return FakeGeminiApi()


def run(api: FakeGeminiApi, **kwargs: Any) -> Any:
    operator = GenerateContentOperator(task_id="generate", **{"model": TUNED, **kwargs})
    operator.hook = api.hook()
    return operator.execute(context={})  # type: ignore[arg-type]


def test_one_prompt_gives_one_text(api: FakeGeminiApi) -> None:
    api.replies[TUNED] = {"My invoice is wrong": "billing"}

    assert run(api, prompt="My invoice is wrong") == "billing"
    assert api.requests == [("POST", GENERATE_PATH)]
    assert api.generate_bodies == [
        {"contents": [{"role": "user", "parts": [{"text": "My invoice is wrong"}]}]}
    ]


def test_generation_config_and_system_instruction_are_sent(api: FakeGeminiApi) -> None:
    run(
        api,
        model="models/gemini-1.5-flash-001",
        prompt="hello",
        generation_config={"temperature": 0.0, "max_output_tokens": 16},
        system_instruction="Answer with one word.",
    )

    assert api.requests == [("POST", "/v1beta/models/gemini-1.5-flash-001:generateContent")]
    body = api.generate_bodies[0]
    assert body["generationConfig"] == {"temperature": 0.0, "maxOutputTokens": 16}
    assert body["systemInstruction"] == {"parts": [{"text": "Answer with one word."}]}


def test_many_prompts_keep_their_order_with_bounded_concurrency(api: FakeGeminiApi) -> None:
    prompts = [f"prompt {index}" for index in range(9)]

    answers = run(api, prompt=prompts, max_concurrency=3)

    assert answers == [prompt.upper() for prompt in prompts]
    assert api.max_in_flight == 3
    assert len(api.generate_bodies) == 9


def test_a_list_of_one_prompt_gives_a_list(api: FakeGeminiApi) -> None:
    assert run(api, prompt=["only"]) == ["ONLY"]


def test_contents_is_one_conversation(api: FakeGeminiApi) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
        {"role": "user", "parts": [{"text": "route this"}]},
    ]

    assert run(api, contents=contents) == "ROUTE THIS"
    assert api.generate_bodies == [{"contents": contents}]


def test_usage_can_be_returned(api: FakeGeminiApi) -> None:
    api.replies[TUNED] = {"a": "billing"}

    assert run(api, prompt=["a"], include_usage=True) == [
        {
            "text": "billing",
            "finish_reason": "STOP",
            "usage": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        }
    ]


def test_a_blocked_prompt_gives_an_empty_text_and_a_warning(
    api: FakeGeminiApi, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = httpx.Response(200, json={"promptFeedback": {"blockReason": "SAFETY"}})
    api.replies[TUNED] = {"bad": blocked}

    result = run(api, prompt="bad", include_usage=True)

    assert result == {"text": "", "finish_reason": None, "usage": {}}
    assert "block reason: SAFETY" in capsys.readouterr().out


def test_transient_errors_are_retried(api: FakeGeminiApi) -> None:
    replies = iter([error(503, "UNAVAILABLE"), httpx.Response(200, json={"candidates": []})])
    api.replies[TUNED] = {}
    original = api._generate

    def flaky(model: str, body: dict[str, Any]) -> httpx.Response:
        reply = next(replies, None)
        return reply if reply is not None and reply.status_code == 503 else original(model, body)

    api._generate = flaky  # type: ignore[method-assign]

    assert run(api, prompt="again") == "AGAIN"


def test_a_request_that_fails_fails_the_task(api: FakeGeminiApi) -> None:
    api.replies[TUNED] = {"too long": error(400, "INVALID_ARGUMENT", "input too long")}

    with pytest.raises(InvalidArgumentError, match="input too long"):
        run(api, prompt=["fine", "too long", "also fine"])


def test_a_prompt_that_is_not_a_string_is_refused_before_sending(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match=r"prompt\[1\]: expected a string, got int"):
        run(api, prompt=["fine", 42])
    assert api.requests == []


def test_a_malformed_model_name_is_refused_before_sending(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="model name"):
        run(api, model="a/b", prompt="x")
    assert api.requests == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "exactly one of prompt"),
        ({"prompt": "a", "contents": [{"parts": [{"text": "a"}]}]}, "exactly one of prompt"),
        ({"prompt": "a", "max_concurrency": 0}, "max_concurrency must be at least 1"),
    ],
)
def test_invalid_arguments_fail_when_the_dag_is_parsed(
    kwargs: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        GenerateContentOperator(task_id="t", model=TUNED, **kwargs)


def test_template_fields() -> None:
    assert set(GenerateContentOperator.template_fields) == {
        "model",
        "prompt",
        "contents",
        "generation_config",
        "system_instruction",
    }


def test_module_import_is_cheap() -> None:
    loaded = provider_modules_loaded_by("airflow_provider_tunedmodels.operators.generate")
    assert "airflow_provider_tunedmodels.operators.generate" in loaded
    assert not loaded & HEAVY_PROVIDER_MODULES


# --- against the emulator ------------------------------------------------------------------------


def test_generates_with_a_tuned_model_on_the_emulator(emulator: RunningEmulator) -> None:
    hook = emulator_hook(emulator)
    name = train(hook, "router", [("invoice wrong", "billing"), ("app crashes", "technical")])
    operator = GenerateContentOperator(
        task_id="generate",
        model=name,
        prompt=["invoice wrong", "app crashes", "my invoice is wrong"],
        generation_config={"temperature": 0.0},
        include_usage=True,
        max_concurrency=2,
    )
    operator.hook = hook

    answers = operator.execute(context={})  # type: ignore[arg-type]

    assert [answer["text"] for answer in answers] == ["billing", "technical", "billing"]
    assert all(answer["finish_reason"] == "STOP" for answer in answers)
    assert all(answer["usage"]["totalTokenCount"] > 0 for answer in answers)
