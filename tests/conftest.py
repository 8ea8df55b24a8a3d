"""Test-session setup shared by every suite.

Airflow reads ``AIRFLOW_HOME`` when it is first imported, so the isolated home
is set here, before any test module imports Airflow: tests never touch
``~/airflow`` and always start from an empty SQLite metadata database.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.testing import RunningEmulator

_HOME = Path(tempfile.mkdtemp(prefix="tunedmodels-test-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME / 'airflow.db'}"
os.environ.pop("AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT", None)
# Alembic logs every plugin it sets up at INFO; Airflow 3.1 prints those lines when the test
# session ends, after pytest's summary.
logging.getLogger("alembic").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata database in the session's ``AIRFLOW_HOME``.

    Needed by ``dag.test()``; the migration runs once per test session.
    """
    marker = _HOME / ".migrated"
    if not marker.exists():
        subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"],
            check=True,
            capture_output=True,
            env=os.environ.copy(),
        )
        marker.touch()
    _build_the_in_process_execution_api_once()
    return _HOME


def _build_the_in_process_execution_api_once() -> None:
    """Make ``dag.test()`` build Airflow's in-process execution API once per process.

    Newer Airflow releases cache it; 3.1 builds a new one, with all its versioned routes, for
    every task it runs, which costs seconds of CPU per task. The cache does what they do.
    """
    from airflow.sdk.execution_time import supervisor

    if not hasattr(supervisor.in_process_api_server, "cache_info"):
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(
            supervisor.in_process_api_server
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests marked ``long`` first, each module's in its own order.

    Under ``pytest-xdist`` the first tests are dealt out to the workers in turn, so the long
    ones are shared out and the short ones fill the end; a long test dealt out last keeps one
    worker busy while the others have nothing left to do.
    """
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def restore_env() -> Iterator[None]:
    """Undo environment changes a test makes (connections set via ``AIRFLOW_CONN_*``)."""
    saved = os.environ.copy()
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    """A bundled emulator on loopback for the requesting test module, stepping every 2 ms.

    Modules that need other emulator options (or a reset per test) define their own.
    """
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with run_emulator(step_seconds=0.002) as running:
        yield running


#: Skips that leave a part of the project untested: the text their reason contains, and
#: what the summary names as untested.
_UNTESTED = {
    "celery topology not run": "the production topology (PostgreSQL metadata database, "
    "CeleryExecutor, Redis broker)",
    "google-cloud-aiplatform client not tested": "Google's google-cloud-aiplatform client "
    "against the emulator",
}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly when a part of the project was not tested on this machine, and why."""
    skipped = [
        str(report.longrepr[2]).removeprefix("Skipped: ")
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple)
    ]
    for marker, what in _UNTESTED.items():
        for reason in sorted({reason for reason in skipped if marker in reason}):
            why = reason.partition(f"{marker}: ")[2] or reason
            terminalreporter.write_line(
                f"NOTE: {what} was NOT tested on this machine: {why}",
                yellow=True,
                bold=True,
            )
