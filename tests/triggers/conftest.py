"""Fixtures of the trigger tests: respx routes, a fake clock, and hooks from the shared pool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.triggers import hook_pool
from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger
from tests.support.tuning_fakes import BASE_URL, FakeClock, fake_api_hook


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The trigger's wall clock and sleeps, moved by the trigger's own waits."""
    fake = FakeClock()
    monkeypatch.setattr(TuningJobTrigger, "clock", staticmethod(fake.time))
    monkeypatch.setattr(TuningJobTrigger, "sleep", staticmethod(fake.sleep))
    monkeypatch.setattr(TuningJobTrigger, "poll_jitter", 0.0)
    return fake


@pytest.fixture
def built_hooks(monkeypatch: pytest.MonkeyPatch) -> list[GeminiTunedModelsHook]:
    """Every hook the pool builds (for the respx base URL, without client retries)."""
    hooks: list[GeminiTunedModelsHook] = []

    def build(hook_class: type, conn_id: str) -> GeminiTunedModelsHook:
        hook = fake_api_hook()
        hook.conn_id = conn_id
        hooks.append(hook)
        return hook

    monkeypatch.setattr(hook_pool, "hook_factory", build)
    return hooks
