"""The bulk generation call: the same request JSON as the models build, the same answer text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels.core.errors import InvalidResponseError
from airflow_provider_tunedmodels.core.http import RestClient
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini_calls import (
    first_candidate_text,
    generate_text,
    prompt_request,
)
from airflow_provider_tunedmodels.models import (
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
)


@pytest.mark.parametrize("config", [None, {}, {"temperature": 0.2, "maxOutputTokens": 5}])
def test_prompt_request_is_the_json_the_request_model_sends(config: dict[str, Any] | None) -> None:
    wire = GenerationConfig.model_validate(config).to_wire() if config is not None else None
    expected = GenerateContentRequest.from_prompt("Is this billing?", config).to_wire()
    assert prompt_request("Is this billing?", wire) == expected


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"candidates": []},
        {"candidates": [{"finishReason": "SAFETY"}]},
        {"candidates": [{"content": {"role": "model"}}]},
        {"candidates": [{"content": {"parts": [{"text": "bill"}, {}, {"text": "ing"}]}}]},
        {"candidates": [{"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": []}}]},
        {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"totalTokenCount": 3}},
    ],
)
def test_first_candidate_text_reads_what_the_response_model_reads(payload: dict[str, Any]) -> None:
    assert first_candidate_text(payload) == GenerateContentResponse.from_wire(payload).text


@pytest.mark.parametrize(
    "payload",
    [
        {"candidates": {"content": {}}},
        {"candidates": ["text"]},
        {"candidates": [{"content": "text"}]},
        {"candidates": [{"content": {"parts": "text"}}]},
        {"candidates": [{"content": {"parts": [{"text": 5}]}}]},
    ],
)
def test_an_answer_of_another_shape_is_a_typed_error(payload: dict[str, Any]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=payload))
    settings = ClientSettings(
        base_url="https://api.test", api_version="v1beta", api_key="AIzaSy-generate-text-key-0123"
    )
    with RestClient(settings, transport=transport) as client:
        with pytest.raises(InvalidResponseError, match="unexpected shape: candidates"):
            client.execute(generate_text("tunedModels/x", prompt_request("hi", None)))
