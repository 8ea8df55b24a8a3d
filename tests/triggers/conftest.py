"""Fixtures of the trigger tests: respx routes, a fake clock, and hooks from the shared pool."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import respx

from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook
from airflow_provider_tunedmodels.triggers import hook_pool
from airflow_provider_tunedmodels.triggers import tuned_model as trigger_module
from tests.support.tuning_fakes import BASE_URL, FakeClock, fake_api_hook


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The trigger's wall clock and sleeps, moved by the trigger's own waits."""
    fake = FakeClock()
    monkeypatch.setattr(trigger_module, "time", SimpleNamespace(time=fake.time))
    monkeypatch.setattr(asyncio, "sleep", fake.sleep)
    return fake


@pytest.fixture
def built_hooks(monkeypatch: pytest.MonkeyPatch) -> list[GeminiTunedModelsHook]:
    """Every hook the pool builds (for the respx base URL, without client retries)."""
    hooks: list[GeminiTunedModelsHook] = []

    def build(conn_id: str) -> GeminiTunedModelsHook:
        hook = fake_api_hook()
        hook.gemini_conn_id = conn_id
        hooks.append(hook)
        return hook

    monkeypatch.setattr(hook_pool, "hook_factory", build)
    return hooks
