"""pytest fixtures for the emulator.

Enable with ``pytest_plugins = ["airflow_provider_tunedmodels.emulator.pytest_plugin"]``
in a root ``conftest.py``. One emulator runs per test session (in a thread); the
``tunedmodels_emulator`` fixture hands it to each test freshly reset (no tuned
models, no faults). The step duration comes from the ini option
``tunedmodels_emulator_step_seconds`` (default 0.01).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator

__all__ = ["pytest_addoption", "tunedmodels_emulator", "tunedmodels_emulator_session"]


_STEP_SECONDS_INI = "tunedmodels_emulator_step_seconds"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini option of the step duration."""
    parser.addini(
        _STEP_SECONDS_INI, "seconds per simulated tuning step in the emulator", default="0.01"
    )


@pytest.fixture(scope="session")
def tunedmodels_emulator_session(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """One emulator for the whole session."""
    step_seconds = float(str(pytestconfig.getini(_STEP_SECONDS_INI)))
    with run_emulator(step_seconds=step_seconds) as emulator:
        yield emulator


@pytest.fixture
def tunedmodels_emulator(
    tunedmodels_emulator_session: RunningEmulator,
) -> Iterator[RunningEmulator]:
    """The session's emulator, reset before and after the test."""
    tunedmodels_emulator_session.reset()
    yield tunedmodels_emulator_session
    tunedmodels_emulator_session.reset()
