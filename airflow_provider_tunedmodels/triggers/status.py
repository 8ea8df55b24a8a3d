"""Reading a tuning job's status (from its create operation or the model), and cancelling it.

The trigger (async), the sensor and the create operator's blocking wait all read
status through :func:`read_status` / :func:`aread_status`, so they agree on what
"done", "failed" and "progress" mean; the trigger's and the operator's
``on_kill`` both stop a job through :func:`cancel_tuning` / :func:`acancel_tuning`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_tunedmodels.core.errors import ApiError, NotFoundError
from airflow_provider_tunedmodels.hooks.gemini_calls import tuned_model_path
from airflow_provider_tunedmodels.hooks.tuned_models import describe_progress
from airflow_provider_tunedmodels.tuning_policy import TriggerEventPayload, make_event

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook
    from airflow_provider_tunedmodels.models import Operation, TunedModel

__all__ = [
    "TuningStatus",
    "acancel_tuning",
    "alatest_operation",
    "aread_status",
    "cancel_tuning",
    "describe_model_progress",
    "latest_operation",
    "read_status",
    "status_from_model",
    "status_from_operation",
]

Outcome = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class TuningStatus:
    """One reading of a tuning job.

    :ivar outcome: ``running``, ``succeeded`` (the model is ACTIVE) or ``failed``.
    :ivar progress: a one-line progress report for the log.
    :ivar error: ``{"code", "status", "message"}`` of a failed job, if known.
    """

    outcome: Outcome
    tuned_model_name: str
    operation_name: str | None
    state: str | None
    progress: str
    error: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.outcome != "running"

    def failure_message(self) -> str:
        """Why tuning failed, naming the model."""
        reason = (
            self.error["message"] if self.error and self.error.get("message") else "no reason given"
        )
        status = f"{self.error['status']}: " if self.error and self.error.get("status") else ""
        return f"Tuning {self.tuned_model_name} failed ({status}{reason})."

    def to_event(self) -> TriggerEventPayload:
        """The trigger event for a finished job."""
        if self.outcome == "succeeded":
            return make_event(
                "success",
                f"{self.tuned_model_name} is {self.state or 'ACTIVE'}.",
                tuned_model_name=self.tuned_model_name,
                operation_name=self.operation_name,
                state=self.state,
            )
        if self.outcome == "failed":
            return make_event(
                "failed",
                self.failure_message(),
                tuned_model_name=self.tuned_model_name,
                operation_name=self.operation_name,
                state=self.state,
                error=self.error,
            )
        raise ValueError(f"{self.tuned_model_name} is still running; there is no final event")


def status_from_operation(operation: Operation, tuned_model_name: str) -> TuningStatus:
    """Read the create operation: not done, done with an error, or done."""
    name = operation.tuned_model_name or tuned_model_name
    progress = describe_progress(operation)
    if not operation.done:
        return TuningStatus("running", name, operation.name, "CREATING", progress)
    if operation.error is not None:
        error = {
            "code": operation.error.code,
            "status": operation.error.status_name,
            "message": operation.error_message,
        }
        return TuningStatus("failed", name, operation.name, "FAILED", progress, error)
    finished = operation.tuned_model
    state = _state_name(finished.state) if finished is not None and finished.state else "ACTIVE"
    return TuningStatus("succeeded", name, operation.name, state, progress)


def status_from_model(
    model: TunedModel, *, operation_name: str | None = None, error: dict[str, Any] | None = None
) -> TuningStatus:
    """Read the tuned model's ``state``: ACTIVE, FAILED, or still running."""
    name = model.name or "tunedModels/?"
    state = _state_name(model.state) if model.state else None
    progress = describe_model_progress(model)
    if model.is_active:
        return TuningStatus("succeeded", name, operation_name, state, progress)
    if model.is_failed:
        return TuningStatus("failed", name, operation_name, state, progress, error)
    return TuningStatus("running", name, operation_name, state, progress)


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


def read_status(
    hook: GeminiTunedModelsHook, tuned_model_name: str, operation_name: str | None = None
) -> TuningStatus:
    """Read the operation if it is known (it carries total steps and errors), else the model.

    An operation the server no longer knows falls back to the model.
    """
    name = tuned_model_path(tuned_model_name)
    if operation_name:
        try:
            return status_from_operation(hook.get_operation(operation_name), name)
        except NotFoundError:
            pass
    model = hook.get_tuned_model(name)
    if not model.is_failed:
        return status_from_model(model, operation_name=operation_name)
    operation = latest_operation(hook, name)
    return _failed_model_status(model, operation)


async def aread_status(
    hook: GeminiTunedModelsHook, tuned_model_name: str, operation_name: str | None = None
) -> TuningStatus:
    """Async :func:`read_status`."""
    name = tuned_model_path(tuned_model_name)
    if operation_name:
        try:
            return status_from_operation(await hook.aget_operation(operation_name), name)
        except NotFoundError:
            pass
    model = await hook.aget_tuned_model(name)
    if not model.is_failed:
        return status_from_model(model, operation_name=operation_name)
    operation = await alatest_operation(hook, name)
    return _failed_model_status(model, operation)


def _failed_model_status(model: TunedModel, operation: Operation | None) -> TuningStatus:
    if operation is not None and operation.done and operation.error is not None:
        return status_from_operation(operation, model.name or "tunedModels/?")
    return status_from_model(model, operation_name=operation.name if operation else None)


def latest_operation(hook: GeminiTunedModelsHook, name: str) -> Operation | None:
    """The model's newest operation, or ``None`` if there is none or it cannot be listed."""
    try:
        page = hook.list_operations(name, page_size=1)
    except ApiError:
        return None
    return page.operations[0] if page.operations else None


async def alatest_operation(hook: GeminiTunedModelsHook, name: str) -> Operation | None:
    """Async :func:`latest_operation`."""
    try:
        page = await hook.alist_operations(name, page_size=1)
    except ApiError:
        return None
    return page.operations[0] if page.operations else None


def cancel_tuning(
    hook: GeminiTunedModelsHook, tuned_model_name: str, operation_name: str | None = None
) -> str:
    """Stop a job still CREATING: cancel its operation (``v1``), else delete the model.

    A model that is ACTIVE or FAILED is left alone. Returns what was done, for the log.
    """
    model = hook.get_tuned_model(tuned_model_name)
    if not model.is_creating:
        return f"{model.name} is {_state_name(model.state)}; nothing to cancel."
    problem = ""
    if operation_name:
        try:
            hook.cancel_operation(operation_name)
        except ApiError as exc:
            problem = f" (cancelling {operation_name} failed: {exc})"
        else:
            return f"Cancelled {operation_name}."
    hook.delete_tuned_model(tuned_model_name, ignore_missing=True)
    return f"Deleted {model.name}, which was still CREATING{problem}."


async def acancel_tuning(
    hook: GeminiTunedModelsHook, tuned_model_name: str, operation_name: str | None = None
) -> str:
    """Async :func:`cancel_tuning`."""
    model = await hook.aget_tuned_model(tuned_model_name)
    if not model.is_creating:
        return f"{model.name} is {_state_name(model.state)}; nothing to cancel."
    problem = ""
    if operation_name:
        try:
            await hook.acancel_operation(operation_name)
        except ApiError as exc:
            problem = f" (cancelling {operation_name} failed: {exc})"
        else:
            return f"Cancelled {operation_name}."
    await hook.adelete_tuned_model(tuned_model_name, ignore_missing=True)
    return f"Deleted {model.name}, which was still CREATING{problem}."


def _state_name(state: object) -> str:
    return str(getattr(state, "value", state))
