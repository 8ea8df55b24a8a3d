"""Placeholder DAG that exercises the end-to-end harness until the example DAGs take its place.

It has exactly the shape the harness needs to prove on real components:

* ``wait_in_triggerer`` defers to a ``TimeDeltaTrigger``, so a worker hands the task to the
  triggerer process, and the task is resumed on a worker (``execute_complete``) when the trigger
  fires. The trigger's event payload is returned as an XCom, which only exists if the resume
  really happened. ``TimeDeltaSensor`` is not used on purpose: it measures from
  ``data_interval_end``, which lies in the past for manual runs and backfills, so it would finish
  without ever deferring.
* ``publish`` pushes an XCom and emits an event on :data:`RESULT_ASSET`.

The wait defaults to 8 seconds and can be raised per run with the ``wait_seconds`` conf key,
e.g. to kill the triggerer while the task is deferred. Keep it well above the workers'
``min_heartbeat_interval``: a trigger that fires before the scheduler has processed the
worker's exit from ``defer()`` can get the resumed task failed as "state changed externally"
(apache/airflow#72716, open in Airflow 3.3).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import DAG, Asset, BaseOperator, Context, Param, task

DAG_ID = "e2e_placeholder_deferring"
RESULT_ASSET = Asset(name="e2e_placeholder_result", uri="file:///e2e/placeholder/result.json")


class WaitInTriggerer(BaseOperator):
    """Defer for ``wait_seconds`` seconds, then resume and return the trigger's event."""

    template_fields = ("wait_seconds",)

    def __init__(self, *, wait_seconds: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wait_seconds = wait_seconds

    def execute(self, context: Context) -> None:
        delay = timedelta(seconds=float(self.wait_seconds))
        self.defer(trigger=TimeDeltaTrigger(delay), method_name="execute_complete")

    def execute_complete(self, context: Context, event: Any = None) -> dict[str, Any]:
        # Runs on a worker after the triggerer fired; ``event`` is the trigger's moment.
        return {"resumed": True, "trigger_moment": pendulum.instance(event).isoformat()}


with DAG(
    dag_id=DAG_ID,
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"wait_seconds": Param(8, type="integer", minimum=1)},
    tags=["e2e"],
):

    @task(outlets=[RESULT_ASSET])
    def publish(resume: dict[str, Any], **context: Any) -> dict[str, Any]:
        """Push a result XCom and attach the run to the asset event."""
        result = {"run_id": context["run_id"], "trigger_moment": resume["trigger_moment"]}
        context["outlet_events"][RESULT_ASSET].extra = result
        return result

    waited = WaitInTriggerer(task_id="wait_in_triggerer", wait_seconds="{{ params.wait_seconds }}")
    publish(waited.output)
