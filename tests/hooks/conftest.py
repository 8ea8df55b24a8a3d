from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

BASE_URL = "https://gemini.test"
API_KEY = "AIzaSy-unit-test-key-0123456789"


@pytest.fixture
def settings() -> ClientSettings:
    return ClientSettings(
        base_url=BASE_URL,
        api_key=API_KEY,
        retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
    )


@pytest.fixture
def hook(settings: ClientSettings) -> Iterator[GeminiTunedModelsHook]:
    hook = GeminiTunedModelsHook(settings=settings)
    yield hook
    hook.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=f"{BASE_URL}/v1beta", assert_all_called=False) as router:
        yield router
