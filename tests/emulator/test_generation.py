"""generateContent and streamGenerateContent on tuned models."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.responses import STREAM_CHUNK_INTERVAL
from tests.emulator.support import Api, assert_error, create_body

TRAINING = [
    {"textInput": "What is the capital of France?", "output": "Paris"},
    {"textInput": "What is the capital of Italy?", "output": "Rome"},
    {"textInput": "Tell me a story", "output": "Once upon a time " * 8},
]


@pytest.fixture
def model(api: Api) -> str:
    return api.tuned(create_body(example_list=TRAINING))


def _ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def _text(response: dict[str, Any], index: int = 0) -> str:
    return str(response["candidates"][index]["content"]["parts"][0]["text"])


def test_known_input_gets_the_trained_output(api: Api, model: str) -> None:
    response = api.post(
        f"/v1beta/{model}:generateContent", json=_ask("What is the capital of Italy?")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert _text(body) == "Rome"
    candidate = body["candidates"][0]
    assert candidate["content"]["role"] == "model"
    assert candidate["finishReason"] == "STOP"
    assert candidate["index"] == 0
    assert body["usageMetadata"]["totalTokenCount"] == (
        body["usageMetadata"]["promptTokenCount"] + body["usageMetadata"]["candidatesTokenCount"]
    )
    assert body["modelVersion"] == "gemini-1.5-flash-001-tuning"


def test_other_input_gets_the_closest_example(api: Api, model: str) -> None:
    body = api.post(f"/v1beta/{model}:generateContent", json=_ask("capital of france??")).json()
    assert _text(body) == "Paris"


def test_last_user_turn_is_the_prompt_and_v1_is_bound(api: Api, model: str) -> None:
    request = {
        "contents": [
            {"role": "user", "parts": [{"text": "What is the capital of France?"}]},
            {"role": "model", "parts": [{"text": "Paris"}]},
            {"role": "user", "parts": [{"text": "What is the capital of Italy?"}]},
        ]
    }
    assert _text(api.post(f"/v1/{model}:generateContent", json=request).json()) == "Rome"


def test_generation_config(api: Api, model: str) -> None:
    limited = api.post(
        f"/v1beta/{model}:generateContent",
        json=_ask("Tell me a story", generationConfig={"maxOutputTokens": 2}),
    ).json()
    assert _text(limited) == "Once upo"
    assert limited["candidates"][0]["finishReason"] == "MAX_TOKENS"
    stopped = api.post(
        f"/v1beta/{model}:generateContent",
        json=_ask("Tell me a story", generation_config={"stop_sequences": [" time"]}),
    ).json()
    assert _text(stopped) == "Once upon a"
    several = api.post(
        f"/v1beta/{model}:generateContent",
        json=_ask("capital of Italy", generationConfig={"candidateCount": 3}),
    ).json()
    assert [c["index"] for c in several["candidates"]] == [0, 1, 2]
    assert {_text(several, i) for i in range(3)} == {"Rome"}


@pytest.mark.parametrize(
    ("request_body", "fragment"),
    [
        ({"contents": []}, "contents is not specified"),
        ({}, "contents is not specified"),
        (_ask("hi", systemInstruction={"parts": [{"text": "be nice"}]}), "System instructions"),
        (_ask("hi", generationConfig={"responseMimeType": "application/json"}), "JSON mode"),
        (_ask("hi", generationConfig={"stopSequences": list("abcdef")}), "stop_sequences"),
        (_ask("hi", generationConfig={"candidateCount": 9}), "candidate_count"),
        (
            {"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]},
            "text input",
        ),
        (_ask("x" * 40_001), "40000"),
        (_ask(" "), "empty text"),
    ],
)
def test_invalid_requests(
    api: Api, model: str, request_body: dict[str, Any], fragment: str
) -> None:
    response = api.post(f"/v1beta/{model}:generateContent", json=request_body)
    assert fragment in assert_error(response, 400, "INVALID_ARGUMENT")["message"]


def test_model_must_be_active(api: Api) -> None:
    model = api.create(create_body(20, epochs=100, batch=1))["metadata"]["tunedModel"]
    response = api.post(f"/v1beta/{model}:generateContent", json=_ask("1"))
    assert_error(response, 400, "FAILED_PRECONDITION", "CREATING")
    assert_error(
        api.post("/v1beta/tunedModels/missing:generateContent", json=_ask("1")), 404, "NOT_FOUND"
    )


def test_stream_with_alt_sse_is_an_event_stream(api: Api, model: str) -> None:
    response = api.post(
        f"/v1beta/{model}:streamGenerateContent",
        params={"alt": "sse"},
        json=_ask("Tell me a story"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    raw = response.text
    assert raw.endswith("\r\n\r\n")
    events = [event for event in raw.split("\r\n\r\n") if event]
    assert len(events) > 1
    chunks = []
    for event in events:
        assert event.startswith("data: ")
        chunks.append(json.loads(event.removeprefix("data: ")))
    assert "".join(_text(chunk) for chunk in chunks) == "Once upon a time " * 8
    assert "finishReason" not in chunks[0]["candidates"][0]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] > 0


def test_stream_without_sse_is_a_json_array_framed_exactly(api: Api, model: str) -> None:
    for params in ({}, {"$alt": "json;enum-encoding=int"}, {"alt": "json"}):
        response = api.post(
            f"/v1beta/{model}:streamGenerateContent", params=params, json=_ask("Tell me a story")
        )
        assert response.status_code == 200
        raw = response.content
        assert raw.startswith(b"[{")
        assert raw.endswith(b"}]")
        chunks = json.loads(raw)
        assert isinstance(chunks, list)
        assert len(chunks) > 1
        assert "".join(_text(chunk) for chunk in chunks) == "Once upon a time " * 8


@pytest.mark.parametrize("alt", ["sse", None])
def test_streams_arrive_in_several_network_reads(api: Api, model: str, alt: str | None) -> None:
    params = {"alt": alt} if alt else {}
    reads: list[tuple[float, bytes]] = []
    with api.http.stream(
        "POST",
        f"/v1beta/{model}:streamGenerateContent",
        params=params,
        json=_ask("Tell me a story"),
    ) as response:
        assert response.status_code == 200
        for data in response.iter_raw():
            reads.append((time.monotonic(), data))
    assert len(reads) > 1
    assert reads[-1][0] - reads[0][0] >= STREAM_CHUNK_INTERVAL
    raw = b"".join(data for _, data in reads)
    chunks = (
        [json.loads(event[6:]) for event in raw.decode().split("\r\n\r\n") if event]
        if alt
        else json.loads(raw)
    )
    assert len(chunks) == 5
    assert "".join(_text(chunk) for chunk in chunks) == "Once upon a time " * 8


@pytest.mark.parametrize(
    ("prompt", "pieces"),
    [
        ("What is the capital of Italy?", ["Ro", "me"]),
        ("What is the capital of France?", ["Par", "is"]),
    ],
)
def test_a_short_answer_still_streams_in_two_chunks(
    api: Api, model: str, prompt: str, pieces: list[str]
) -> None:
    sse = api.post(f"/v1beta/{model}:streamGenerateContent?alt=sse", json=_ask(prompt))
    events = [json.loads(e[6:]) for e in sse.text.split("\r\n\r\n") if e]
    array = api.post(f"/v1beta/{model}:streamGenerateContent", json=_ask(prompt)).json()
    for chunks in (events, array):
        assert [_text(chunk) for chunk in chunks] == pieces
        assert "finishReason" not in chunks[0]["candidates"][0]
        assert chunks[1]["candidates"][0]["finishReason"] == "STOP"


def test_a_one_character_answer_ends_with_an_empty_final_chunk(api: Api) -> None:
    model = api.tuned(create_body(example_list=[{"textInput": "a", "output": "b"}]))
    chunks = api.post(f"/v1beta/{model}:streamGenerateContent", json=_ask("a")).json()
    assert [_text(chunk) for chunk in chunks] == ["b", ""]
    assert chunks[1]["usageMetadata"]["candidatesTokenCount"] == 1


def test_stream_errors_are_plain_envelopes(api: Api) -> None:
    response = api.post(
        "/v1beta/tunedModels/missing:streamGenerateContent", params={"alt": "sse"}, json=_ask("x")
    )
    assert_error(response, 404, "NOT_FOUND")


BASE = "models/gemini-1.5-flash-001-tuning"


def test_base_model_gives_a_generic_untuned_answer(api: Api) -> None:
    response = api.post(
        f"/v1beta/{BASE}:generateContent", json=_ask("What is the capital of Italy?")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert _text(body) == (
        "Thank you for your message. Here is some general information about: "
        "What is the capital of Italy?"
    )
    assert body["modelVersion"] == "gemini-1.5-flash-001-tuning"
    assert body["candidates"][0]["finishReason"] == "STOP"


def test_base_model_streams_over_sse_and_accepts_system_instructions(api: Api) -> None:
    request = _ask("hello there", systemInstruction={"parts": [{"text": "be brief"}]})
    response = api.post(f"/v1beta/{BASE}:streamGenerateContent?alt=sse", json=request)
    assert response.status_code == 200, response.text
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    assert "".join(_text(event) for event in events).endswith("about: hello there")


def test_unknown_base_model_is_not_found_with_the_real_message(api: Api) -> None:
    response = api.post("/v1beta/models/gemini-9:generateContent", json=_ask("hi"))
    assert_error(response, 404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta")
