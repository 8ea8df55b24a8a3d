"""A sensor that waits until a Gemini tuned model is ACTIVE, in poke, reschedule or deferrable mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_tunedmodels.operators._base import DEFAULT_CONN_ID, GeminiBaseOperator
from airflow_provider_tunedmodels.sensors.tuning_job import TuningJobSensor

__all__ = ["TunedModelSensor"]


class TunedModelSensor(TuningJobSensor):
    """Wait until a Gemini tuned model is ACTIVE; fail (or skip) if its tuning FAILED.

    Give the model, its create operation, or both. With the operation each poke
    reports total steps and, for a failed job, the server's error; with the model
    alone the latest snapshot is reported and the error is looked up in the
    model's newest operation. Everything else is :class:`TuningJobSensor`'s.

    If the task has outlets made by
    :func:`~airflow_provider_tunedmodels.assets.tuned_model_asset`, their asset
    events get the model in ``extra``, so a "create without waiting, then sense"
    pattern also triggers downstream DAGs.

    :param tuned_model_name: the tuned model, ``tunedModels/{id}`` or the id. Templated.
    :param operation_name: its create operation, ``tunedModels/{id}/operations/{op}``. Templated.
    :param conn_id: Airflow connection of type ``gemini_tuned_models``
        (``gemini_conn_id`` is accepted too).
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
    hook_class_path = GeminiBaseOperator.hook_class_path
    default_conn_id = DEFAULT_CONN_ID

    def __init__(
        self,
        *,
        tuned_model_name: str | None = None,
        operation_name: str | None = None,
        conn_id: str | None = None,
        gemini_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not tuned_model_name and not operation_name:
            raise ValueError("TunedModelSensor needs tuned_model_name, operation_name or both")
        super().__init__(job_name="", conn_id=conn_id or gemini_conn_id, **kwargs)
        self.tuned_model_name = tuned_model_name
        self.operation_name = operation_name
        self._check_literal_names()

    def _check_literal_names(self) -> None:
        """Refuse a literal name of the wrong kind when the DAG is parsed."""
        from airflow_provider_tunedmodels.models.gemini.names import OPERATION, TUNED_MODEL
        from airflow_provider_tunedmodels.operators._arguments import (
            literal_name_problems,
            raise_argument_problems,
        )

        problems = literal_name_problems(self.tuned_model_name, TUNED_MODEL, "tuned_model_name")
        problems += literal_name_problems(self.operation_name, OPERATION, "operation_name")
        raise_argument_problems(problems, self)

    @property
    def gemini_conn_id(self) -> str:
        """The connection id, under the name it had before backends were neutral."""
        return self.conn_id

    def _job_name(self) -> str:
        # The operation reports total steps and errors; without it, the model.
        return str(self.operation_name or self.tuned_model_name)
