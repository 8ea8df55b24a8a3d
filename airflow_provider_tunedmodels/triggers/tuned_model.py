"""``TunedModelTrigger``: the 0.1.0 trigger class path, kept for deferred tasks stored with it.

Airflow stores a deferred task's trigger as its class path and ``serialize()``
arguments. Rows written by 0.1.0 name this class with Gemini-specific arguments
(``tuned_model_name``, ``operation_name``, ``gemini_conn_id``); this subclass of
:class:`~airflow_provider_tunedmodels.triggers.tuning_job.TuningJobTrigger` still
accepts them, so such tasks resume after an upgrade. New code uses
``TuningJobTrigger``.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.defaults import (
    DEFAULT_POLL_INTERVAL,
    GEMINI_CONN_ID,
    MAX_CONSECUTIVE_POLL_FAILURES,
)
from airflow_provider_tunedmodels.triggers.tuning_job import (
    GEMINI_HOOK_CLASS_PATH,
    TuningJobTrigger,
)

__all__ = ["TunedModelTrigger"]


class TunedModelTrigger(TuningJobTrigger):
    """Wait for a Gemini tuning job named by its model and, if known, its create operation.

    :param tuned_model_name: ``tunedModels/{id}`` or the bare id.
    :param operation_name: the create operation, ``tunedModels/{id}/operations/{op}``.
    :param gemini_conn_id: the Airflow connection; only its id is stored.
    :param job_name: / :param conn_id: the neutral names, accepted too.

    The other arguments are those of :class:`TuningJobTrigger`.
    """

    def __init__(
        self,
        *,
        tuned_model_name: str | None = None,
        operation_name: str | None = None,
        gemini_conn_id: str = GEMINI_CONN_ID,
        job_name: str | None = None,
        conn_id: str | None = None,
        hook_class_path: str = GEMINI_HOOK_CLASS_PATH,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        end_time: float | None = None,
        cancel_on_kill: bool = False,
        max_consecutive_failures: int = MAX_CONSECUTIVE_POLL_FAILURES,
    ) -> None:
        name = job_name or operation_name or tuned_model_name
        if not name:
            raise ValueError("TunedModelTrigger needs tuned_model_name, operation_name or job_name")
        super().__init__(
            job_name=name,
            conn_id=conn_id or gemini_conn_id,
            hook_class_path=hook_class_path,
            poll_interval=poll_interval,
            end_time=end_time,
            cancel_on_kill=cancel_on_kill,
            max_consecutive_failures=max_consecutive_failures,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Serialize as the neutral trigger, so new rows never depend on this shim."""
        _, kwargs = super().serialize()
        return f"{TuningJobTrigger.__module__}.{TuningJobTrigger.__qualname__}", kwargs
