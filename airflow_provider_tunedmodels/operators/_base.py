"""What every operator that talks to a tuning backend shares: the connection id and a lazy hook.

Operator modules are imported each time a DAG file is parsed, so they import
the hook (and through it httpx, pydantic and google-auth) only when a task runs:
a backend is named by its hook class path, imported on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

from airflow.sdk import BaseOperator

from airflow_provider_tunedmodels.defaults import GEMINI_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.hooks.base import JobStatus, TuningJobHook
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

__all__ = ["DEFAULT_CONN_ID", "GeminiBaseOperator", "TuningBaseOperator", "TuningCreateOperator"]

#: Default Airflow connection id of the Gemini backend (connection type ``gemini_tuned_models``).
DEFAULT_CONN_ID = GEMINI_CONN_ID


class TuningBaseOperator(BaseOperator):
    """Base class: holds ``conn_id`` and builds the backend's hook on first use.

    Subclasses name their backend in ``hook_class_path`` and its default connection
    in ``default_conn_id``.

    :param conn_id: the Airflow connection of the backend's type.
    """

    hook_class_path: ClassVar[str]
    default_conn_id: ClassVar[str]

    def __init__(self, *, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_id

    @cached_property
    def hook(self) -> TuningJobHook:
        """The backend's hook for ``conn_id`` (imported lazily to keep DAG parsing cheap)."""
        from airflow_provider_tunedmodels.hooks.base import import_hook_class

        return import_hook_class(self.hook_class_path)(self.conn_id)


class TuningCreateOperator(TuningBaseOperator):
    """What every backend's create operator shares around waiting for its job.

    The model family's asset, waiting for the started job (deferred or on the worker),
    resuming after the trigger fired, and cancelling the job on kill. A subclass sets the
    attributes below in its constructor and supplies :meth:`_family_asset` and
    :meth:`_finish`, which reads the finished job.
    """

    wait_for_completion: bool
    deferrable: bool
    model_family: str | None
    poll_interval: float
    timeout: float
    cancel_on_kill: bool
    _waiting_for: JobStatus | None

    def _family_asset(self, family: str) -> Any:
        """The asset of the model family ``family`` (one URI scheme per backend)."""
        raise NotImplementedError

    def _finish(self, context: Context, result_name: str, *, reused: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _declare_asset(self) -> None:
        """Add the model family's asset to the outlets when the task waits for the job."""
        if not self.wait_for_completion:
            return
        in_dag = self.has_dag()  # type: ignore[no-untyped-call]
        family = self.model_family or (f"{self.dag_id}.{self.task_id}" if in_dag else None)
        if family is None:
            return
        asset = self._family_asset(family)
        if asset not in self.outlets:
            self.outlets = [*self.outlets, asset]

    def _wait_until_finished(
        self, status: JobStatus, *, reused: bool, start_timeout: float | None = None
    ) -> JobStatus:
        """Wait for the started job; fail the task (without retries) unless it succeeded.

        A deferrable task defers to the trigger here and resumes in :meth:`execute_complete`;
        any other polls on the worker. ``start_timeout``: see
        :func:`~airflow_provider_tunedmodels.operators._waiting.build_trigger`.
        """
        from airflow_provider_tunedmodels.operators._waiting import (
            build_trigger,
            raise_for_outcome,
            wait_on_worker,
        )

        if not status.finished:
            if self.deferrable:
                trigger = build_trigger(
                    self,
                    status,
                    poll_interval=self.poll_interval,
                    timeout=self.timeout,
                    cancel_on_kill=self.cancel_on_kill,
                    start_timeout=start_timeout,
                )
                self.defer(
                    trigger=trigger, method_name="execute_complete", kwargs={"reused": reused}
                )
            self._waiting_for = status
            status = wait_on_worker(
                self,
                status,
                poll_interval=self.poll_interval,
                timeout=self.timeout,
                start_timeout=start_timeout,
            )
            self._waiting_for = None
        raise_for_outcome(status)
        return status

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, reused: bool = False
    ) -> dict[str, Any]:
        """Resume after the trigger fired: check the event first, then finish or raise."""
        from airflow_provider_tunedmodels.core.errors import OperationTimeoutError
        from airflow_provider_tunedmodels.operators._waiting import checked_event

        def timed_out(message: str) -> BaseException:
            return OperationTimeoutError(_job_of(event), self.timeout)

        checked = checked_event(event, timeout_error=timed_out)
        self.log.info("Trigger event: %s", checked["message"])
        return self._finish(context, checked["result_name"] or "?", reused=reused)

    def on_kill(self) -> None:
        """With ``cancel_on_kill``, stop the job this task is waiting for on the worker."""
        waiting = self._waiting_for
        if self.cancel_on_kill and waiting is not None:
            self.log.info("%s", self.hook.cancel_job(waiting.job_name))


class GeminiBaseOperator(TuningBaseOperator):
    """Base of the Gemini API operators.

    :param conn_id: Airflow connection of type ``gemini_tuned_models``
        (``gemini_conn_id`` is accepted too).
    """

    hook_class_path = "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook"
    default_conn_id = DEFAULT_CONN_ID

    def __init__(
        self, *, conn_id: str | None = None, gemini_conn_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(conn_id=conn_id or gemini_conn_id, **kwargs)

    @cached_property
    def hook(self) -> GeminiTunedModelsHook:
        """The hook for ``conn_id``: Gemini's, or that of a subclass's ``hook_class_path``.

        (The Vertex AI generate and evaluate operators reuse these operators with their
        own backend, whose hook answers the same generation calls.)
        """
        from airflow_provider_tunedmodels.hooks.base import import_hook_class

        return cast("GeminiTunedModelsHook", import_hook_class(self.hook_class_path)(self.conn_id))

    @property
    def gemini_conn_id(self) -> str:
        """The connection id, under the name it had before backends were neutral."""
        return self.conn_id


def _job_of(event: object) -> str:
    """The job an event names, for a timeout message (``?`` if it names none)."""
    if isinstance(event, Mapping):
        return str(event.get("job_name") or event.get("operation_name") or "?")
    return "?"
