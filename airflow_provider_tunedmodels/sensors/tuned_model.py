"""A sensor that waits until a tuned model is ACTIVE, in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_tunedmodels._compat import conf
from airflow_provider_tunedmodels.operators._base import DEFAULT_CONN_ID, GeminiBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["TunedModelSensor"]


class TunedModelSensor(BaseSensorOperator, GeminiBaseOperator):
    """Wait until a tuned model is ACTIVE; fail (or skip) if its tuning FAILED.

    Give the model, its create operation, or both. With the operation each poke
    reports total steps and, for a failed job, the server's error; with the model
    alone the latest snapshot is reported and the error is looked up in the
    model's newest operation.

    A FAILED model fails the task with the model's error and without using up
    retries; with ``soft_fail=True`` the task is skipped instead. When the
    timeout passes the task fails with ``AirflowSensorTimeout`` (skipped with
    ``soft_fail``). Other errors (the model does not exist, permission denied)
    fail the task as usual and may be retried.

    In deferrable mode the sensor pokes once, then hands the wait to the
    triggerer (:class:`~airflow_provider_tunedmodels.triggers.TunedModelTrigger`)
    until the model is done or ``timeout`` passes, measured from the first poke.

    The return value (XCom) is the ACTIVE tuned model as a JSON-safe dict. If the
    task has outlets made by
    :func:`~airflow_provider_tunedmodels.assets.tuned_model_asset`, their asset
    events get the model in ``extra``, so a "create without waiting, then sense"
    pattern also triggers downstream DAGs.

    :param tuned_model_name: the tuned model, ``tunedModels/{id}`` or the id. Templated.
    :param operation_name: its create operation, ``tunedModels/{id}/operations/{op}``. Templated.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.
    :param deferrable: wait in the triggerer; defaults to ``[operators] default_deferrable``.

    Example::

        from airflow_provider_tunedmodels.sensors.tuned_model import TunedModelSensor

        wait = TunedModelSensor(
            task_id="wait_for_model",
            tuned_model_name="{{ ti.xcom_pull(task_ids='tune', key='tuned_model_name') }}",
            operation_name="{{ ti.xcom_pull(task_ids='tune', key='operation_name') }}",
            poke_interval=120,
            timeout=6 * 3600,
            deferrable=True,
        )
    """

    template_fields: Sequence[str] = ("tuned_model_name", "operation_name")
    ui_color = "#e8eefa"

    def __init__(
        self,
        *,
        tuned_model_name: str | None = None,
        operation_name: str | None = None,
        gemini_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(gemini_conn_id=gemini_conn_id, **kwargs)
        if not tuned_model_name and not operation_name:
            raise ValueError("TunedModelSensor needs tuned_model_name, operation_name or both")
        self.tuned_model_name = tuned_model_name
        self.operation_name = operation_name
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
        from airflow_provider_tunedmodels._compat import AirflowFailException
        from airflow_provider_tunedmodels.triggers.status import read_status

        status = read_status(self.hook, self._model_name(), self.operation_name or None)
        self.log.info("%s: %s", status.tuned_model_name, status.progress)
        if status.outcome == "failed":
            raise AirflowFailException(status.failure_message())
        if status.outcome == "running":
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(
            is_done=True, xcom_value=self._finish(context, status.tuned_model_name)
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: validate the event, then succeed or raise."""
        from airflow_provider_tunedmodels._compat import AirflowFailException, AirflowSensorTimeout
        from airflow_provider_tunedmodels.tuning_policy import (
            TuningWaitError,
            validate_trigger_event,
        )

        checked = validate_trigger_event(event)
        status = checked["status"]
        if status == "failed":
            raise AirflowFailException(checked["message"])
        if status == "timeout":
            raise AirflowSensorTimeout(checked["message"])
        if status == "error":
            raise TuningWaitError(checked["message"])
        return self._finish(context, checked["tuned_model_name"] or self._model_name())

    def _finish(self, context: Context, tuned_model_name: str) -> dict[str, Any]:
        """Read the ACTIVE model, put it on tuned-model asset events, and return it."""
        from airflow_provider_tunedmodels.assets import asset_event_extra, attach_asset_events

        model = self.hook.get_tuned_model(tuned_model_name)
        attach_asset_events(self.outlets, context["outlet_events"], asset_event_extra(model))
        self.log.info("%s is %s.", model.name, model.state)
        return model.to_wire()

    def _defer(self) -> None:
        from airflow_provider_tunedmodels.triggers.tuned_model import TunedModelTrigger

        trigger = TunedModelTrigger(
            tuned_model_name=self._model_name(),
            operation_name=self.operation_name or None,
            gemini_conn_id=self.gemini_conn_id,
            poll_interval=self.poke_interval or 1.0,
            end_time=time.time() + self.timeout,
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def _model_name(self) -> str:
        if self.tuned_model_name:
            return self.tuned_model_name
        return str(self.operation_name).split("/operations/", 1)[0]
