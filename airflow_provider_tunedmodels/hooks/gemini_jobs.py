"""The Gemini backend's side of the seam: a tuning job's status, cancel, result and link.

A Gemini tuning job is named by its create operation
(``tunedModels/{id}/operations/{op}``, which reports total steps and the error of
a failed job) or, when that is not known, by the tuned model (``tunedModels/{id}``).
Its states map to outcomes through a closed table: ``CREATING`` runs, ``ACTIVE``
succeeded, ``FAILED`` failed, and anything else is ``unexpected``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from airflow_provider_tunedmodels.core.errors import ApiError, NotFoundError
from airflow_provider_tunedmodels.hooks.base import JobOutcome, JobStatus

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.core.settings import ClientSettings
    from airflow_provider_tunedmodels.models.gemini import (
        ListOperationsResponse,
        Operation,
        TunedModel,
    )

__all__ = [
    "GEMINI_STATE_OUTCOMES",
    "GeminiJobsMixin",
    "describe_model_progress",
    "describe_progress",
    "status_from_model",
    "status_from_operation",
]

#: The closed map from a tuned model's state to an outcome; other states are unexpected.
GEMINI_STATE_OUTCOMES: Final[Mapping[str, JobOutcome]] = {
    "CREATING": "running",
    "ACTIVE": "succeeded",
    "FAILED": "failed",
}
_OPERATIONS = "/operations/"


def model_of(job_name: str) -> str:
    """``tunedModels/{id}`` of a job named by its operation or its model (or a bare id)."""
    from airflow_provider_tunedmodels.hooks.gemini_calls import tuned_model_path

    return tuned_model_path(job_name.split(_OPERATIONS, 1)[0])


def describe_progress(operation: Operation) -> str:
    """A one-line progress report: steps, percent, epoch and latest mean loss."""
    if operation.done:
        return (
            f"done with {operation.error.status_name}: {operation.error_message}"
            if operation.error
            else "done"
        )
    metadata = operation.create_metadata
    if metadata is None:
        return "running"
    parts = [f"step {metadata.completed_steps or 0}/{metadata.total_steps or '?'}"]
    parts.append(f"{metadata.completed_percent or 0.0:.1f}%")
    if metadata.snapshots:
        last = metadata.snapshots[-1]
        parts.append(f"epoch {last.epoch or 0}")
        if last.mean_loss is not None:
            parts.append(f"mean loss {last.mean_loss:.4f}")
    return ", ".join(parts)


def describe_model_progress(model: TunedModel) -> str:
    """A one-line report from the model alone: state, latest step, epoch and mean loss."""
    parts = [f"state {_state_name(model.state) if model.state else 'unknown'}"]
    if model.snapshots:
        last = model.snapshots[-1]
        parts.append(f"step {last.step or 0}")
        parts.append(f"epoch {last.epoch or 0}")
        if last.mean_loss is not None:
            parts.append(f"mean loss {last.mean_loss:.4f}")
    return ", ".join(parts)


def status_from_operation(operation: Operation, tuned_model_name: str) -> JobStatus:
    """Read the create operation: not done, done with an error, or done."""
    model = operation.tuned_model_name or tuned_model_name
    job = operation.name or model
    progress = describe_progress(operation)
    if not operation.done:
        return JobStatus("running", job, model, "CREATING", progress)
    if operation.error is not None:
        error = {
            "code": operation.error.code,
            "status": operation.error.status_name,
            "message": operation.error_message,
        }
        return JobStatus("failed", job, model, "FAILED", progress, error)
    finished = operation.tuned_model
    state = _state_name(finished.state) if finished is not None and finished.state else "ACTIVE"
    return JobStatus(GEMINI_STATE_OUTCOMES.get(state, "unexpected"), job, model, state, progress)


def status_from_model(
    model: TunedModel, *, operation_name: str | None = None, error: dict[str, Any] | None = None
) -> JobStatus:
    """Read the tuned model's ``state`` through :data:`GEMINI_STATE_OUTCOMES`."""
    name = model.name or "tunedModels/?"
    state = _state_name(model.state) if model.state else None
    outcome = GEMINI_STATE_OUTCOMES.get(state or "", "unexpected")
    progress = describe_model_progress(model)
    return JobStatus(outcome, operation_name or name, name, state, progress, error)


def _failed_model_status(model: TunedModel, operation: Operation | None) -> JobStatus:
    if operation is not None and operation.done and operation.error is not None:
        return status_from_operation(operation, model.name or "tunedModels/?")
    return status_from_model(model, operation_name=operation.name if operation else None)


def _state_name(state: object) -> str:
    return str(getattr(state, "value", state))


class _GeminiApi(Protocol):
    """The Gemini hook's REST methods the seam uses."""

    @property
    def settings(self) -> ClientSettings: ...
    def get_operation(self, name: str) -> Operation: ...
    async def aget_operation(self, name: str) -> Operation: ...
    def get_tuned_model(self, name: str) -> TunedModel: ...
    async def aget_tuned_model(self, name: str) -> TunedModel: ...
    def list_operations(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> ListOperationsResponse: ...
    async def alist_operations(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> ListOperationsResponse: ...
    def cancel_operation(self, name: str) -> None: ...
    async def acancel_operation(self, name: str) -> None: ...
    def delete_tuned_model(self, name: str, *, ignore_missing: bool = False) -> bool: ...
    async def adelete_tuned_model(self, name: str, *, ignore_missing: bool = False) -> bool: ...
    def latest_operation(self, tuned_model: str) -> Operation | None: ...
    async def alatest_operation(self, tuned_model: str) -> Operation | None: ...


class GeminiJobsMixin:
    """The seam methods of :class:`~airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook`."""

    def latest_operation(self: _GeminiApi, tuned_model: str) -> Operation | None:
        """The model's newest operation, or ``None`` if there is none or it cannot be listed."""
        try:
            page = self.list_operations(tuned_model, page_size=1)
        except ApiError:
            return None
        return page.operations[0] if page.operations else None

    async def alatest_operation(self: _GeminiApi, tuned_model: str) -> Operation | None:
        """Async :meth:`latest_operation`."""
        try:
            page = await self.alist_operations(tuned_model, page_size=1)
        except ApiError:
            return None
        return page.operations[0] if page.operations else None

    def read_job_status(self: _GeminiApi, job_name: str) -> JobStatus:
        """Read the operation if the job is named by it, else the model.

        An operation the server no longer knows falls back to the model; a FAILED
        model's error is looked up in its newest operation.
        """
        model_name = model_of(job_name)
        if _OPERATIONS in job_name:
            try:
                return status_from_operation(self.get_operation(job_name), model_name)
            except NotFoundError:
                pass
        model = self.get_tuned_model(model_name)
        if not model.is_failed:
            return status_from_model(model, operation_name=_operation_or_none(job_name))
        return _failed_model_status(model, self.latest_operation(model_name))

    async def aread_job_status(self: _GeminiApi, job_name: str) -> JobStatus:
        """Async :meth:`read_job_status`."""
        model_name = model_of(job_name)
        if _OPERATIONS in job_name:
            try:
                return status_from_operation(await self.aget_operation(job_name), model_name)
            except NotFoundError:
                pass
        model = await self.aget_tuned_model(model_name)
        if not model.is_failed:
            return status_from_model(model, operation_name=_operation_or_none(job_name))
        return _failed_model_status(model, await self.alatest_operation(model_name))

    def cancel_job(self: _GeminiApi, job_name: str) -> str:
        """Stop a job still CREATING: cancel its operation (``v1``), else delete the model.

        A model that is ACTIVE or FAILED is left alone.
        """
        model = self.get_tuned_model(model_of(job_name))
        if not model.is_creating:
            return f"{model.name} is {_state_name(model.state)}; nothing to cancel."
        operation = _operation_or_none(job_name)
        problem = ""
        if operation:
            try:
                self.cancel_operation(operation)
            except ApiError as exc:
                problem = f" (cancelling {operation} failed: {exc})"
            else:
                return f"Cancelled {operation}."
        self.delete_tuned_model(model_of(job_name), ignore_missing=True)
        return f"Deleted {model.name}, which was still CREATING{problem}."

    async def acancel_job(self: _GeminiApi, job_name: str) -> str:
        """Async :meth:`cancel_job`."""
        model = await self.aget_tuned_model(model_of(job_name))
        if not model.is_creating:
            return f"{model.name} is {_state_name(model.state)}; nothing to cancel."
        operation = _operation_or_none(job_name)
        problem = ""
        if operation:
            try:
                await self.acancel_operation(operation)
            except ApiError as exc:
                problem = f" (cancelling {operation} failed: {exc})"
            else:
                return f"Cancelled {operation}."
        await self.adelete_tuned_model(model_of(job_name), ignore_missing=True)
        return f"Deleted {model.name}, which was still CREATING{problem}."

    def job_result(self: _GeminiApi, result_name: str) -> dict[str, Any]:
        """The tuned model, in wire format."""
        return self.get_tuned_model(model_of(result_name)).to_wire()

    def job_url(self: _GeminiApi, job_name: str) -> str:
        """``{base URL}/{api version}/tunedModels/{id}`` (see :mod:`~airflow_provider_tunedmodels.links`)."""
        from airflow_provider_tunedmodels.links import tuned_model_url

        settings = self.settings
        return tuned_model_url(settings.root_url, settings.api_version, model_of(job_name))

    def asset_event_extra(
        self: _GeminiApi, result: Mapping[str, Any], *, reused: bool
    ) -> dict[str, Any]:
        """The tuned-model asset event's extra (see :mod:`~airflow_provider_tunedmodels.assets`)."""
        from airflow_provider_tunedmodels.assets import asset_event_extra
        from airflow_provider_tunedmodels.models.gemini import TunedModel

        return asset_event_extra(TunedModel.model_validate(dict(result)), reused=reused)


def _operation_or_none(job_name: str) -> str | None:
    return job_name if _OPERATIONS in job_name else None
