"""Assertions that prove, from what a cluster recorded, where and how a task ran.

They implement "How a deferral is proven" of ``README.md`` and are shared by the test modules.
"""

from __future__ import annotations

from typing import Any

from .cluster import CELERY_WORKER, SCHEDULER, AirflowCluster, Deferral

#: What a triggerer logs, in the trigger's log file, when the trigger yields its event.
TRIGGER_FIRED = "Trigger fired event"
#: What the task runner logs when a task hands itself over to a trigger.
TASK_DEFERRED = "Pausing task as DEFERRED"


def assert_trigger_fired_in(
    cluster: AirflowCluster,
    dag_id: str,
    run_id: str,
    task_id: str,
    deferral: Deferral,
    *,
    triggerer_job_id: int,
) -> str:
    """The deferral's trigger fired in the triggerer process of job ``triggerer_job_id``.

    Only the triggerer process that registered that job writes the log file read here.
    Returns the file's text.
    """
    log = cluster.trigger_logs(dag_id, run_id, task_id).get(triggerer_job_id, "")
    assert f"(ID {deferral.trigger_id})" in log, (
        f"triggerer job {triggerer_job_id} never ran trigger {deferral.trigger_id} of {task_id}"
    )
    assert TRIGGER_FIRED in log, f"trigger {deferral.trigger_id} did not fire in {triggerer_job_id}"
    return log


def assert_single_successful_try(
    cluster: AirflowCluster, dag_id: str, run_id: str, task_id: str
) -> dict[str, Any]:
    """The task instance has exactly one try, and it succeeded: resumed, not retried."""
    tries = cluster.task_instance_tries(dag_id, run_id, task_id)
    assert [(t["try_number"], t["state"]) for t in tries] == [(1, "success")], tries
    return tries[0]


def assert_task_log_shows_resume(
    cluster: AirflowCluster, dag_id: str, run_id: str, task_id: str
) -> None:
    """The task log served by the API holds the deferral, the trigger's firing and the resume."""
    log = cluster.task_log(dag_id, run_id, task_id, try_number=1)
    deferred_at = log.find(TASK_DEFERRED)
    fired_at = log.find(TRIGGER_FIRED, deferred_at)
    assert 0 <= deferred_at < fired_at, log
    assert "Pushing xcom" in log[fired_at:], "the resumed execution is missing from the task log"


def assert_ran_on_the_topologys_workers(cluster: AirflowCluster, dag_id: str, run_id: str) -> None:
    """Each try ran where the executor puts it: the scheduler's LocalExecutor or the worker."""
    runner = CELERY_WORKER if cluster.topology.celery_url else SCHEDULER
    for ti in cluster.task_instances(dag_id, run_id).values():
        # The task supervisor logs this right after the task process reported its state.
        finished = f"workload_id={ti['id']}"
        cluster.wait_for_component_log(runner, finished, timeout=30)
        if runner != SCHEDULER:
            assert finished not in cluster.component_log(SCHEDULER), "ran inside the scheduler"
