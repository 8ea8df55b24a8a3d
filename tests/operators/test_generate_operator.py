"""GenerateContentOperator: request shapes, answers, order, bounded concurrency, failures.

What is sent is checked against respx routes; answers, retries, failures and
concurrency run against a model tuned on the bundled emulator, with the
emulator's fault injection scripting errors and latency and
:class:`~tests.traffic.Traffic` counting the requests in flight.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.core.errors import InvalidArgumentError
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator
from tests.operators.import_cost import HEAVY_PROVIDER_MODULES, provider_modules_loaded_by
from tests.operators.wire import answer, received, sent_json
from tests.support.emulator import emulator_hook, train
from tests.traffic import Traffic

TUNED = "tunedModels/router"
GENERATE_PATH = f"/v1beta/{TUNED}:generateContent"
#: What the tuned model learnt; it answers other prompts with the closest example's output.
TRAINING = [
    ("My invoice is wrong", "billing"),
    ("invoice wrong", "billing"),
    ("app crashes", "technical"),
    ("hi", "hello"),
    ("route this", "routed"),
    *[(f"prompt {index}", f"answer {index}") for index in range(9)],
]
#: Seconds the emulator holds every generation request, so that concurrent ones overlap.
LATENCY = 0.05


def run(hook: GeminiTunedModelsHook, **kwargs: Any) -> Any:
    operator = GenerateContentOperator(task_id="generate", **{"model": TUNED, **kwargs})
    operator.hook = hook
    return operator.execute(context={})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def router(emulator: RunningEmulator) -> str:
    """The tuned model, trained once for the module on :data:`TRAINING`."""
    hook = emulator_hook(emulator)
    try:
        return train(hook, "router", TRAINING)
    finally:
        hook.close()


@pytest.fixture
def hook(
    emulator: RunningEmulator, router: str, traffic: Traffic
) -> Iterator[GeminiTunedModelsHook]:
    """A hook for the emulator, seen through ``traffic``."""
    hook = emulator_hook(emulator, traffic=traffic)
    yield hook
    hook.close()


# --- what is sent (respx) ------------------------------------------------------------------------


def test_one_prompt_is_sent_as_one_user_turn(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    route = api.post(GENERATE_PATH).mock(return_value=answer("billing"))

    assert run(mocked, prompt="My invoice is wrong") == "billing"
    assert received(api) == [("POST", GENERATE_PATH)]
    assert sent_json(route) == [
        {"contents": [{"role": "user", "parts": [{"text": "My invoice is wrong"}]}]}
    ]


def test_generation_config_and_system_instruction_are_sent(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    path = "/v1beta/models/gemini-1.5-flash-001:generateContent"
    route = api.post(path).mock(return_value=answer("Hello."))

    run(
        mocked,
        model="models/gemini-1.5-flash-001",
        prompt="hello",
        generation_config={"temperature": 0.0, "max_output_tokens": 16},
        system_instruction="Answer with one word.",
    )

    assert received(api) == [("POST", path)]
    [body] = sent_json(route)
    assert body["generationConfig"] == {"temperature": 0.0, "maxOutputTokens": 16}
    assert body["systemInstruction"] == {"parts": [{"text": "Answer with one word."}]}


def test_contents_are_sent_as_one_conversation(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
        {"role": "user", "parts": [{"text": "route this"}]},
    ]
    route = api.post(GENERATE_PATH).mock(return_value=answer("routed"))

    assert run(mocked, contents=contents) == "routed"
    assert sent_json(route) == [{"contents": contents}]


def test_a_blocked_prompt_gives_an_empty_text_and_a_warning(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = httpx.Response(200, json={"promptFeedback": {"blockReason": "SAFETY"}})
    api.post(GENERATE_PATH).mock(return_value=blocked)

    result = run(mocked, prompt="bad", include_usage=True)

    assert result == {"text": "", "finish_reason": None, "usage": {}}
    assert "block reason: SAFETY" in capsys.readouterr().out


# --- answers from a tuned model (emulator) -------------------------------------------------------


def test_one_prompt_gives_one_text(hook: GeminiTunedModelsHook, traffic: Traffic) -> None:
    assert run(hook, prompt="My invoice is wrong") == "billing"
    assert traffic.calls() == [("POST", GENERATE_PATH)]


def test_many_prompts_keep_their_order_with_bounded_concurrency(
    hook: GeminiTunedModelsHook, traffic: Traffic, faults: RunningEmulator
) -> None:
    faults.set_faults(FaultRule("latency", route="tunedModels.generateContent", seconds=LATENCY))
    prompts = [f"prompt {index}" for index in range(9)]

    started = time.monotonic()
    answers = run(hook, prompt=prompts, max_concurrency=3)
    elapsed = time.monotonic() - started

    assert answers == [f"answer {index}" for index in range(9)]
    assert traffic.max_in_flight == 3
    sent = [body["contents"][0]["parts"][0]["text"] for body in traffic.bodies(":generateContent")]
    assert sorted(sent) == sorted(prompts)  # each prompt sent once
    # Three at a time, each held LATENCY seconds by the server: at least three rounds.
    assert elapsed >= 3 * LATENCY


def test_a_list_of_one_prompt_gives_a_list(hook: GeminiTunedModelsHook) -> None:
    assert run(hook, prompt=["hi"]) == ["hello"]


def test_contents_are_answered_from_the_last_user_turn(hook: GeminiTunedModelsHook) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
        {"role": "user", "parts": [{"text": "route this"}]},
    ]

    assert run(hook, contents=contents) == "routed"


def test_usage_can_be_returned(hook: GeminiTunedModelsHook) -> None:
    # The emulator counts one token per four characters, rounded up.
    assert run(hook, prompt=["My invoice is wrong"], include_usage=True) == [
        {
            "text": "billing",
            "finish_reason": "STOP",
            "usage": {"promptTokenCount": 5, "candidatesTokenCount": 2, "totalTokenCount": 7},
        }
    ]


def test_transient_errors_are_retried(
    hook: GeminiTunedModelsHook, traffic: Traffic, faults: RunningEmulator
) -> None:
    faults.set_faults(FaultRule("503", route="tunedModels.generateContent", count=1))

    assert run(hook, prompt="app crashes") == "technical"
    assert traffic.calls() == [("POST", GENERATE_PATH)] * 2


def test_a_request_that_fails_fails_the_task(hook: GeminiTunedModelsHook) -> None:
    too_long = "x" * 40_001  # above the longest input a tuned model accepts

    with pytest.raises(InvalidArgumentError, match="longer than the tuned model's limit"):
        run(hook, prompt=["hi", too_long, "app crashes"])


def test_generates_with_usage_and_two_requests_at_a_time(
    router: str, hook: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    operator = GenerateContentOperator(
        task_id="generate",
        model=router,
        prompt=["invoice wrong", "app crashes", "my invoice is wrong"],
        generation_config={"temperature": 0.0},
        include_usage=True,
        max_concurrency=2,
    )
    operator.hook = hook

    answers = operator.execute(context={})  # type: ignore[arg-type]

    assert [answer["text"] for answer in answers] == ["billing", "technical", "billing"]
    assert traffic.max_in_flight <= 2
    assert all(answer["finish_reason"] == "STOP" for answer in answers)
    assert all(answer["usage"]["totalTokenCount"] > 0 for answer in answers)


# --- arguments -----------------------------------------------------------------------------------


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


PERMISSION_NAME = "tunedModels/m1/permissions/p1"


def test_a_prompt_that_is_not_a_string_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match=r"prompt\[1\]: expected a string, got int"):
        GenerateContentOperator(task_id="t", model=TUNED, prompt=["fine", 42])


def test_a_malformed_model_name_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="model: 'a/b' is not a tuned model or a base model name"):
        GenerateContentOperator(task_id="t", model="a/b", prompt="x")


def test_rendered_arguments_are_checked_before_sending(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    operator = GenerateContentOperator(task_id="t", model="{{ m }}", prompt="{{ p }}")
    operator.__dict__["hook"] = mocked
    operator.model, operator.prompt = PERMISSION_NAME, "x"
    with pytest.raises(AirflowFailException, match="is the name of a permission"):
        operator.execute(context={})  # type: ignore[arg-type]
    operator.model, operator.prompt = TUNED, ["fine", " "]
    with pytest.raises(AirflowFailException, match=r"prompt\[1\]: empty"):
        operator.execute(context={})  # type: ignore[arg-type]
    assert not api.calls


def test_an_empty_literal_prompt_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(ValueError, match="prompt: empty"):
        GenerateContentOperator(task_id="t", model=TUNED, prompt="  ")
