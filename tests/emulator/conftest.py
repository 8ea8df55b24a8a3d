"""Fixtures of the emulator's tests: one emulator per session, reset per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from tests.emulator.support import Api

STEP_SECONDS = 0.005


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=STEP_SECONDS, seed=7) as running:
        yield running


@pytest.fixture
def emulator(emulator_session: RunningEmulator) -> Iterator[RunningEmulator]:
    emulator_session.reset()
    yield emulator_session
    emulator_session.reset()


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[Api]:
    client = Api(emulator.base_url, emulator.api_key)
    yield client
    client.close()


@pytest.fixture
def user(emulator: RunningEmulator) -> Iterator[Callable[[str], Api]]:
    """A factory of clients for other users (each with a fresh API key)."""
    clients: list[Api] = []

    def make(email: str) -> Api:
        client = Api(emulator.base_url, emulator.add_api_key(email))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
