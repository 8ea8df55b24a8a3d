"""The harness's own tests: end-to-end scenarios with the placeholder deferring DAG.

They exercise no provider code, so they are marked ``harness`` and run only with
``-m harness``, after a change to the harness (``cluster.py``, ``conftest.py``, ``proofs.py``).
Every test runs on both topologies (see ``conftest.py``): ``local`` (SQLite, LocalExecutor) and
``celery`` (PostgreSQL, CeleryExecutor with Redis, separate worker). One cluster per topology
serves all tests of this module; each test triggers runs of its own, so the tests do not depend
on one another's order.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from .cluster import CELERY_WORKER, TRIGGERER, AirflowCluster, Deferral
from .proofs import (
    TRIGGER_FIRED,
    assert_ran_on_the_topologys_workers,
    assert_single_successful_try,
    assert_task_log_shows_resume,
    assert_trigger_fired_in,
)

DAGS_FOLDER = Path(__file__).parent / "dags"
DAG_ID = "e2e_placeholder_deferring"
DEFERRING_TASK = "wait_in_triggerer"
PUBLISHING_TASK = "publish"
ASSET_URI = "file:///e2e/placeholder/result.json"
DEFAULT_WAIT_SECONDS = 8  # the DAG's ``wait_seconds`` param
BACKFILL_DATES = [datetime(2024, 1, day, tzinfo=timezone.utc) for day in (1, 2, 3)]

pytestmark = [pytest.mark.e2e, pytest.mark.harness, pytest.mark.timeout(480)]


@pytest.fixture(scope="module")
def cluster(airflow_cluster: AirflowCluster) -> AirflowCluster:
    """The module's cluster with the placeholder DAG parsed and unpaused."""
    airflow_cluster.wait_for_dag(DAG_ID)
    airflow_cluster.set_paused(DAG_ID, paused=False)
    return airflow_cluster


def _assert_fired_and_resumed(
    cluster: AirflowCluster,
    run_id: str,
    deferral: Deferral,
    fired_by: int,
    wait_seconds: int = DEFAULT_WAIT_SECONDS,
) -> dict[str, Any]:
    """Prove the deferred trigger fired in triggerer job ``fired_by`` and a worker resumed."""
    assert deferral.trigger_classpath.endswith("DateTimeTrigger")
    assert_trigger_fired_in(
        cluster, DAG_ID, run_id, DEFERRING_TASK, deferral, triggerer_job_id=fired_by
    )
    # A worker resumed the same try with the trigger's event (not a retry).
    only_try = assert_single_successful_try(cluster, DAG_ID, run_id, DEFERRING_TASK)
    resumed = cluster.xcom(DAG_ID, run_id, DEFERRING_TASK)
    assert resumed["resumed"] is True
    # The event is the moment the trigger waited for: after the wait, before the task ended.
    moment = datetime.fromisoformat(resumed["trigger_moment"])
    started, ended = (datetime.fromisoformat(only_try[key]) for key in ("start_date", "end_date"))
    assert started + timedelta(seconds=wait_seconds) <= moment <= ended
    return dict(resumed)


def _backfill_runs(cluster: AirflowCluster) -> list[dict[str, Any]]:
    first, last = BACKFILL_DATES[0], BACKFILL_DATES[-1]
    return [
        run
        for run in cluster.dag_runs(DAG_ID, run_type="backfill")
        if first <= datetime.fromisoformat(run["logical_date"]) <= last
    ]


def test_components_are_separate_healthy_processes(cluster: AirflowCluster) -> None:
    health = cluster.health()
    assert health["metadatabase"]["status"] == "healthy"
    for component in ("scheduler", "triggerer", "dag_processor"):
        assert health[component]["status"] == "healthy", health
    pids = {name: cluster.pid(name) for name in cluster.topology.components}
    assert len(set(pids.values())) == len(pids), pids
    assert all(cluster.is_running(name) for name in pids)
    if cluster.topology.celery_url:
        assert CELERY_WORKER in pids


def test_run_defers_resumes_and_publishes(cluster: AirflowCluster) -> None:
    run_id = cluster.trigger_dag_run(DAG_ID)

    deferral = cluster.wait_for_deferral(DAG_ID, run_id, DEFERRING_TASK)
    assert cluster.wait_for_dag_run(DAG_ID, run_id) == "success"

    states = {task: ti["state"] for task, ti in cluster.task_instances(DAG_ID, run_id).items()}
    assert states == {DEFERRING_TASK: "success", PUBLISHING_TASK: "success"}
    # The trigger was held, then fired, by the triggerer process this cluster started.
    triggerer = cluster.current_job_id(TRIGGERER)
    assert deferral.triggerer_job_id == triggerer
    resumed = _assert_fired_and_resumed(cluster, run_id, deferral, fired_by=triggerer)
    published = cluster.xcom(DAG_ID, run_id, PUBLISHING_TASK)
    assert published == {"run_id": run_id, "trigger_moment": resumed["trigger_moment"]}
    events = cluster.asset_events(source_run_id=run_id)
    assert [(e["uri"], e["source_task_id"], e["extra"]) for e in events] == [
        (ASSET_URI, PUBLISHING_TASK, published)
    ]
    assert_task_log_shows_resume(cluster, DAG_ID, run_id, DEFERRING_TASK)
    assert_ran_on_the_topologys_workers(cluster, DAG_ID, run_id)


def test_backfill_three_dates_then_clear_and_rerun(cluster: AirflowCluster) -> None:
    backfill = cluster.create_backfill(DAG_ID, BACKFILL_DATES[0], BACKFILL_DATES[-1])
    cluster.wait_for_backfill(backfill["id"])

    runs = _backfill_runs(cluster)
    logical_dates = [datetime.fromisoformat(run["logical_date"]) for run in runs]
    assert logical_dates == BACKFILL_DATES
    assert [run["state"] for run in runs] == ["success"] * 3
    run_ids = [run["dag_run_id"] for run in runs]
    for run_id in run_ids:
        assert cluster.xcom(DAG_ID, run_id, PUBLISHING_TASK)["run_id"] == run_id
        assert len(cluster.asset_events(source_run_id=run_id)) == 1

    for run_id in run_ids:
        cluster.clear_dag_run(DAG_ID, run_id)
    for run_id in run_ids:
        assert cluster.wait_for_dag_run(DAG_ID, run_id) == "success"

    # Rerunning reused the three runs: no new run, a second successful try of each task.
    assert [run["dag_run_id"] for run in _backfill_runs(cluster)] == run_ids
    for run_id in run_ids:
        tries = cluster.task_instance_tries(DAG_ID, run_id, DEFERRING_TASK)
        assert [(t["try_number"], t["state"]) for t in tries] == [(1, "success"), (2, "success")]
        trigger_logs = cluster.trigger_logs(DAG_ID, run_id, DEFERRING_TASK, try_number=2)
        assert any(TRIGGER_FIRED in text for text in trigger_logs.values()), "2nd try not deferred"
        assert len(cluster.asset_events(source_run_id=run_id)) == 2


def test_killed_triggerer_mid_deferral_is_replaced(cluster: AirflowCluster) -> None:
    wait_seconds = 12
    run_id = cluster.trigger_dag_run(DAG_ID, conf={"wait_seconds": wait_seconds})
    deferral = cluster.wait_for_deferral(DAG_ID, run_id, DEFERRING_TASK)
    deferred_at = time.monotonic()
    first_triggerer = cluster.current_job_id(TRIGGERER)
    assert deferral.triggerer_job_id == first_triggerer
    # Kill only once the trigger is really running inside the first triggerer.
    cluster.wait_for_trigger_log(
        DAG_ID, run_id, DEFERRING_TASK, triggerer_job_id=first_triggerer, needle="starting"
    )

    cluster.kill_component(TRIGGERER)
    assert not cluster.is_running(TRIGGERER)
    # Let the trigger's moment pass with no triggerer: nothing else may resume the task.
    time.sleep(max(0.0, deferred_at + wait_seconds + 2 - time.monotonic()))
    assert cluster.task_instance(DAG_ID, run_id, DEFERRING_TASK)["state"] == "deferred"

    cluster.start_component(TRIGGERER)
    second_triggerer = cluster.current_job_id(TRIGGERER)
    assert second_triggerer != first_triggerer
    assert cluster.wait_for_dag_run(DAG_ID, run_id) == "success"

    assert (
        TRIGGER_FIRED not in cluster.trigger_logs(DAG_ID, run_id, DEFERRING_TASK)[first_triggerer]
    )
    _assert_fired_and_resumed(
        cluster, run_id, deferral, fired_by=second_triggerer, wait_seconds=wait_seconds
    )
    assert cluster.xcom(DAG_ID, run_id, PUBLISHING_TASK)["run_id"] == run_id
