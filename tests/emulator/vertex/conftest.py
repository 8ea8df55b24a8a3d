"""Fixtures of the Vertex AI emulator tests.

Most tests drive an in-process application on a fake clock (one tuning step is
one second of it), so every intermediate state is observed deterministically;
tests of Google's client use the real server of ``tests/emulator/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from airflow_provider_tunedmodels.emulator.app import EmulatorApp
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from tests.emulator.vertex.support import (
    CLOUD_PLATFORM,
    TRAIN_URI,
    FakeClock,
    Vertex,
    issue_token,
    jsonl,
    service_account_key,
    supervised_lines,
)

TUNER = "tuner@demo-project.iam.gserviceaccount.com"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> EmulatorConfig:
    """Settings of the in-process emulator; tests may override this fixture."""
    return EmulatorConfig(step_seconds=1.0, seed=5, concurrent_tuning_jobs=2)


@pytest.fixture
def app(config: EmulatorConfig, clock: FakeClock) -> EmulatorApp:
    return EmulatorApp(config, clock=clock)


@pytest.fixture
def http(app: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def tuner_key() -> dict[str, str]:
    """The key of the service account the tests call as."""
    return service_account_key(TUNER)


@pytest.fixture
def vertex(http: TestClient, clock: FakeClock, tuner_key: dict[str, str]) -> Vertex:
    """An OAuth client with the cloud-platform scope; 20 examples at ``TRAIN_URI``."""
    client = Vertex(http, issue_token(http, tuner_key, CLOUD_PLATFORM, clock()), clock)
    client.put_object(TRAIN_URI, jsonl(supervised_lines(20)))
    return client
