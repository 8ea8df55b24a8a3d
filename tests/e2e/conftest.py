"""Fixtures that start one real Airflow cluster per test module and topology.

Request ``airflow_cluster`` in a test module to run its tests on both topologies; a test
marked ``@pytest.mark.topologies("local")`` runs on the named ones only. The cluster is
started once per module and topology (module scope), and the component logs are appended to
the report of any failing test that used it. Under ``pytest-xdist`` with ``--dist loadscope``, a
module's scenarios on one topology are one unit of work: each cluster's scenarios run on one
worker, and a module's two clusters can start on two.

Tests marked ``harness`` test this harness itself, not the provider: they run only when asked
for with ``-m harness`` (after a change to the harness), never by default.

Which DAGs the cluster parses comes from the module-level ``DAGS_FOLDER`` of the test module
(default: ``tests/e2e/dags``), so a module for other DAGs only needs to set that constant. A module
that must build its DAGs folder or pass settings to every component (a connection, a provider
setting) overrides the module-scoped ``cluster_dags_folder`` or ``cluster_extra_env`` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from .backends import (
    BackendUnavailableError,
    PostgresDatabase,
    RedisDatabase,
    celery_backends_unavailable_reason,
    celery_executor_import_error,
)
from .cluster import AirflowCluster, Topology
from .scheduling import TOPOLOGIES, pytest_xdist_make_scheduler  # noqa: F401  (a hook of ours)

DEFAULT_DAGS_FOLDER = Path(__file__).parent / "dags"


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _not_runnable(reason: str) -> None:
    """Skip with ``reason`` on a developer machine; fail loudly on CI, where it must run."""
    message = f"celery topology not run: {reason}"
    if _on_ci():
        pytest.fail(f"{message} (CI=true requires PostgreSQL and Redis on 127.0.0.1)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def topology(request: pytest.FixtureRequest) -> Iterator[Topology]:
    """The topology under test, with its PostgreSQL database and Redis db when it needs them."""
    name = request.param
    if name == "local":
        yield Topology.local()
        return
    reason = celery_backends_unavailable_reason()
    if reason:
        _not_runnable(reason)
    broken = celery_executor_import_error()
    if broken:
        pytest.fail(f"celery topology cannot start, the installation is broken: {broken}")
    database, broker = PostgresDatabase(), RedisDatabase()
    try:
        database.create()
        broker.claim()
    except BackendUnavailableError as exc:
        database.drop()
        _not_runnable(str(exc))
    try:
        yield Topology.celery(database.sqlalchemy_url, broker.url)
    finally:
        broker.release()
        database.drop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each cluster test on the topologies its ``topologies`` marker names (default: all)."""
    if "topology" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("topologies")
    names = marker.args if marker is not None else TOPOLOGIES
    unknown = sorted(set(names) - set(TOPOLOGIES))
    if unknown:
        raise pytest.UsageError(f"unknown topologies {unknown} on {metafunc.definition.nodeid}")
    metafunc.parametrize("topology", names, indirect=True, scope="module")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the harness's own tests unless the ``-m`` expression names ``harness``."""
    if "harness" in (config.getoption("markexpr") or ""):
        return
    harness = [item for item in items if item.get_closest_marker("harness") is not None]
    if harness:
        config.hook.pytest_deselected(items=harness)
        items[:] = [item for item in items if item.get_closest_marker("harness") is None]


@pytest.fixture(scope="module")
def cluster_dags_folder(request: pytest.FixtureRequest) -> Path:
    """The folder the module's cluster parses: the module's ``DAGS_FOLDER``, or the default."""
    return Path(getattr(request.module, "DAGS_FOLDER", DEFAULT_DAGS_FOLDER))


@pytest.fixture(scope="module")
def cluster_extra_env() -> dict[str, str]:
    """More environment for every component of the module's cluster (none by default)."""
    return {}


@pytest.fixture(scope="module")
def airflow_cluster(
    topology: Topology, cluster_dags_folder: Path, cluster_extra_env: dict[str, str]
) -> Generator[AirflowCluster, None, None]:
    """A started cluster on ``topology`` that parses ``cluster_dags_folder``."""
    cluster = AirflowCluster(topology, cluster_dags_folder, extra_env=cluster_extra_env)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        if os.environ.get("E2E_KEEP_AIRFLOW_HOME") != "1":
            cluster.remove_home()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach every component's log to the report of a failed test that used a cluster."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    cluster = funcargs.get("airflow_cluster")
    if report.failed and isinstance(cluster, AirflowCluster):
        report.sections.append(("Airflow cluster logs", cluster.collect_logs()))
    return report
