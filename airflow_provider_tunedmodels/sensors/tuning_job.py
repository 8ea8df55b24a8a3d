"""A sensor that waits for a tuning job of any backend, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_tunedmodels._compat import conf
from airflow_provider_tunedmodels.operators._base import TuningBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["TuningJobSensor"]


class TuningJobSensor(BaseSensorOperator, TuningBaseOperator):
    """Wait until a tuning job succeeds; fail (or skip) if it failed or is in an unexpected state.

    Each backend's sensor sets ``hook_class_path`` and ``default_conn_id``; the
    sensor asks the hook only for the job's status and result.

    A failed job (or one in a state the backend does not expect) fails the task
    with the job's error and without using up retries; with ``soft_fail=True``
    the task is skipped instead. When the timeout passes the task fails with
    ``AirflowSensorTimeout`` (skipped with ``soft_fail``). Other errors (the job
    does not exist, permission denied) fail the task as usual and may be retried.

    In deferrable mode the sensor pokes once, then hands the wait to the
    triggerer (:class:`~airflow_provider_tunedmodels.triggers.TuningJobTrigger`)
    until the job is done or ``timeout`` passes, measured from the first poke.

    The return value (XCom) is the finished job's result as a JSON-safe dict. If
    the task has outlets made by the provider's asset helpers, their asset events
    carry the result's names in ``extra``.

    :param job_name: the job, as the backend names it. Templated.
    :param conn_id: the Airflow connection of the backend's type.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.
    """

    template_fields: Sequence[str] = ("job_name",)
    ui_color = "#e8eefa"

    def __init__(
        self,
        *,
        job_name: str,
        conn_id: str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=conn_id, **kwargs)
        self.job_name = job_name
        self.deferrable = deferrable

    def execute(self, context: Context) -> Any:
        """Poke (or reschedule) as usual; in deferrable mode poke once, then defer."""
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value
        self._defer()
        return None

    def poke(self, context: Context) -> PokeReturnValue:
        """One look at the job: done, still running, or failed (raises)."""
        from airflow_provider_tunedmodels.operators._waiting import raise_for_outcome

        status = self.hook.read_job_status(self._job_name())
        self.log.info("%s: %s", status.job_name, status.progress)
        if not status.finished:
            return PokeReturnValue(is_done=False)
        raise_for_outcome(status)
        return PokeReturnValue(is_done=True, xcom_value=self._finish(context, status.result_name))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: validate the event, then succeed or raise."""
        from airflow_provider_tunedmodels._compat import AirflowSensorTimeout
        from airflow_provider_tunedmodels.operators._waiting import checked_event

        checked = checked_event(event, timeout_error=AirflowSensorTimeout)
        return self._finish(context, checked["result_name"] or self._job_name())

    def _finish(self, context: Context, result_name: str) -> dict[str, Any]:
        """Read the finished job, put it on the outlets' asset events, and return it."""
        from airflow_provider_tunedmodels.assets import attach_asset_events

        result = self.hook.job_result(result_name)
        extra = self.hook.asset_event_extra(result, reused=False)
        attach_asset_events(self.outlets, context["outlet_events"], extra)
        self.log.info("%s finished: %s.", result_name, extra.get("state"))
        return result

    def _defer(self) -> None:
        from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

        trigger = TuningJobTrigger(
            job_name=self._job_name(),
            conn_id=self.conn_id,
            hook_class_path=self.hook_class_path,
            poll_interval=self.poke_interval or 1.0,
            end_time=time.time() + self.timeout,
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def _job_name(self) -> str:
        return str(self.job_name)
