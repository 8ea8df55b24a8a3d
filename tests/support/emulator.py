"""Helpers for tests against the bundled emulator: hooks, the default connection, tuned models."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from tests.traffic import Traffic

BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
#: The environment variable that defines the operators' default connection.
DEFAULT_CONNECTION_ENV = "AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT"


def fast_retry(max_attempts: int = 1) -> RetryPolicy:
    """A retry policy without waits; one attempt leaves transient errors to the caller."""
    return RetryPolicy(max_attempts=max_attempts, initial_backoff=0.0, jitter=0.0)


def emulator_hook(
    emulator: RunningEmulator,
    retry: RetryPolicy | None = None,
    *,
    traffic: Traffic | None = None,
) -> GeminiTunedModelsHook:
    """A hook for the emulator; by default it makes four attempts and retries at once.

    With ``traffic``, both of its clients send through it, so the test sees every request.
    """
    settings = ClientSettings(
        base_url=emulator.base_url,
        api_key=emulator.api_key,
        retry=retry if retry is not None else fast_retry(4),
    )
    if traffic is None:
        return GeminiTunedModelsHook(settings=settings)
    return GeminiTunedModelsHook(
        settings=settings,
        transport=traffic.transport(),
        async_transport=traffic.async_transport(),
    )


def emulator_connection_json(emulator: RunningEmulator) -> str:
    """The :data:`DEFAULT_CONNECTION_ENV` value (a JSON connection) for the emulator."""
    return json.dumps(
        {
            "conn_type": "gemini_tuned_models",
            "host": emulator.base_url,
            "password": emulator.api_key,
        }
    )


def use_emulator_connection(monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator) -> None:
    """Point the default connection at the emulator for the rest of the test."""
    monkeypatch.setenv(DEFAULT_CONNECTION_ENV, emulator_connection_json(emulator))


def train(
    hook: GeminiTunedModelsHook, tuned_model_id: str, examples: Sequence[tuple[str, str]]
) -> str:
    """Tune a model on ``examples``, wait until it is ACTIVE, and return its name."""
    model = {
        "baseModel": BASE_MODEL,
        "tuningTask": {
            "trainingData": {
                "examples": {
                    "examples": [{"textInput": text, "output": output} for text, output in examples]
                }
            }
        },
    }
    operation = hook.create_tuned_model(model, tuned_model_id=tuned_model_id)
    hook.wait_for_operation(str(operation.name), poll_interval=0.05, timeout=60)
    return f"tunedModels/{tuned_model_id}"
