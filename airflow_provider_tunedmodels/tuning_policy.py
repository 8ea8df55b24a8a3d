"""Shared rules for waiting on tuning jobs: trigger events, transient errors, deterministic ids.

The create operator, the sensor and the trigger all follow these rules, so they
live here rather than in any one of them (the operator and the sensor never
import each other). Importing this module is cheap: it pulls in neither httpx,
nor pydantic, nor the hook.

A trigger event's payload is a dict with these keys:

===================  ==========================================================================
key                  meaning
===================  ==========================================================================
``status``           one of :data:`TRIGGER_EVENT_STATUSES`
``message``          one readable line (never a credential)
``job_name``         the tuning job waited for (a Gemini operation or model; a Vertex job)
``result_name``      what the task reads when the job succeeded (tuned model; tuning job)
``state``            the backend's last known state name, or ``None``
``error``            ``{"code": int | None, "status": str, "message": str}`` or ``None``
===================  ==========================================================================

Events written by 0.1.0 (``tuned_model_name`` / ``operation_name`` instead of the
two names) are still accepted by :func:`validate_trigger_event`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final, Literal, TypedDict

from airflow_provider_tunedmodels.core.errors import (
    AbortedError,
    DeadlineExceededError,
    ResourceExhaustedError,
    ServerError,
    TransportError,
    TunedModelsError,
    UnavailableError,
    UnreadableResponseError,
)
from airflow_provider_tunedmodels.defaults import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    MAX_CONSECUTIVE_POLL_FAILURES,
)

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TUNING_TIMEOUT",
    "MAX_CONSECUTIVE_POLL_FAILURES",
    "TRIGGER_EVENT_STATUSES",
    "EventStatus",
    "InvalidTriggerEventError",
    "TriggerEventPayload",
    "TuningWaitError",
    "deterministic_tuned_model_id",
    "deterministic_tuned_model_id_of",
    "is_transient_error",
    "make_event",
    "run_key",
    "run_key_of",
    "validate_trigger_event",
]

EventStatus = Literal["success", "failed", "timeout", "error"]

#: The only statuses a trigger event may carry:
#: ``success`` the job produced its model; ``failed`` tuning failed; ``timeout`` the deadline
#: passed while tuning went on; ``error`` waiting itself failed (a permanent API error, too
#: many transient ones in a row, or a state the backend does not expect).
TRIGGER_EVENT_STATUSES: Final[frozenset[str]] = frozenset({"success", "failed", "timeout", "error"})
#: Seconds to wait for tuning when the caller does not say.
DEFAULT_TUNING_TIMEOUT: Final = DEFAULT_WAIT_TIMEOUT

#: Errors after which polling again later may succeed (429, 5xx, network, a proxy's page).
_TRANSIENT_ERRORS: Final = (
    ResourceExhaustedError,
    ServerError,
    UnavailableError,
    DeadlineExceededError,
    AbortedError,
    TransportError,
    UnreadableResponseError,
)
_MAX_TUNED_MODEL_ID_LENGTH: Final = 40
_HASH_LENGTH: Final = 10
_NOT_ID_CHARACTERS = re.compile(r"[^a-z0-9]+")


class TriggerEventPayload(TypedDict):
    """The payload of every event :class:`~airflow_provider_tunedmodels.triggers.TuningJobTrigger` yields."""

    status: EventStatus
    message: str
    job_name: str | None
    result_name: str | None
    state: str | None
    error: dict[str, Any] | None


class InvalidTriggerEventError(TunedModelsError):
    """A task resumed with no event, or with one that is not a tuning event."""


class TuningWaitError(TunedModelsError):
    """Waiting for tuning failed (status ``error``); the tuning job itself may still run."""


def make_event(
    status: EventStatus,
    message: str,
    *,
    job_name: str | None,
    result_name: str | None = None,
    state: str | None = None,
    error: Mapping[str, Any] | None = None,
) -> TriggerEventPayload:
    """Build an event payload; the one place that knows its keys."""
    if status not in TRIGGER_EVENT_STATUSES:
        raise ValueError(f"unknown trigger event status {status!r}")
    return {
        "status": status,
        "message": message,
        "job_name": job_name,
        "result_name": result_name or job_name,
        "state": state,
        "error": dict(error) if error is not None else None,
    }


def validate_trigger_event(event: object) -> TriggerEventPayload:
    """Return ``event`` if it is a tuning event; raise otherwise.

    A ``None`` event, a non-dict or an unknown ``status`` is never taken for success.

    :raises InvalidTriggerEventError: the event cannot be trusted.
    """
    if event is None:
        raise InvalidTriggerEventError(
            "The task resumed without a trigger event; the tuning job's outcome is unknown. "
            "Clear the task to wait for the model again."
        )
    if not isinstance(event, Mapping):
        raise InvalidTriggerEventError(
            f"Expected a tuning event (a dict), got {type(event).__name__}."
        )
    status = event.get("status")
    if status not in TRIGGER_EVENT_STATUSES:
        raise InvalidTriggerEventError(
            f"Unknown trigger event status {status!r}; expected one of "
            f"{', '.join(sorted(TRIGGER_EVENT_STATUSES))}."
        )
    # 0.1.0 named the Gemini model and its operation instead of the job and its result.
    result_name = event.get("result_name") or event.get("tuned_model_name")
    job_name = event.get("job_name") or event.get("operation_name") or result_name
    if status == "success" and not result_name:
        raise InvalidTriggerEventError("A success event must name the job's result.")
    return make_event(
        status,
        str(event.get("message") or ""),
        job_name=job_name,
        result_name=result_name,
        state=event.get("state"),
        error=event.get("error"),
    )


def is_transient_error(error: BaseException) -> bool:
    """Whether trying again later may help: quota (429), server errors (5xx), network failures,
    a success answer whose body is not JSON.

    Everything else (not found, permission denied, unauthenticated, invalid
    arguments, a bad connection) is permanent: waiting will not fix it.
    """
    return isinstance(error, _TRANSIENT_ERRORS)


def deterministic_tuned_model_id(
    dag_id: str,
    task_id: str,
    logical_date: datetime | str | None,
    prefix: str | None = None,
    *,
    run_id: str | None = None,
    map_index: int = -1,
) -> str:
    """A valid ``tunedModelId`` that is the same every time for one DAG, task and logical date.

    The id reads ``<prefix or dag-task slug>-<yyyymmdd>-<hash>``: at most 40
    characters matching ``[a-z]([a-z0-9-]{0,38}[a-z0-9])?``. The hash covers
    every argument, so two runs, tasks or map indexes never share an id even when
    their slugs are cut short. Runs without a logical date (Airflow 3 allows
    them) are told apart by ``run_id``.

    Example::

        deterministic_tuned_model_id("support", "tune", datetime(2025, 1, 1, tzinfo=timezone.utc))
        # 'support-tune-20250101-3f0c9e1a2b' (the hash shown is illustrative)

    :param dag_id: the DAG's id.
    :param task_id: the task's id.
    :param logical_date: the run's logical date (a datetime or its ISO string); may be
        ``None`` when ``run_id`` is given.
    :param prefix: readable start of the id (default: the DAG and task ids).
    :param run_id: the run's id; required when ``logical_date`` is ``None``.
    :param map_index: the task's map index (``-1`` when not mapped).
    :raises ValueError: neither ``logical_date`` nor ``run_id`` is given.
    """
    moment = _utc(logical_date)
    if moment is None and not run_id:
        raise ValueError("deterministic_tuned_model_id needs a logical_date or a run_id")
    run = moment.isoformat() if moment is not None else f"run:{run_id}"
    key = "\n".join([dag_id, task_id, run, str(map_index), prefix or ""])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    tail = f"{moment:%Y%m%d}-{digest}" if moment is not None else digest
    slug = _id_slug(prefix if prefix else f"{dag_id}-{task_id}")
    room = _MAX_TUNED_MODEL_ID_LENGTH - len(tail) - 1
    return f"{slug[:room].rstrip('-')}-{tail}"


def run_key(
    dag_id: str,
    task_id: str,
    logical_date: datetime | str | None,
    *,
    run_id: str | None = None,
    map_index: int = -1,
) -> str:
    """The key of one logical run of a task: the same for every try, rerun and backfill of it.

    ``<dag_id>/<task_id>/<logical date, UTC ISO>/<map_index>``; runs without a logical
    date (asset-triggered runs, REST triggers with ``logical_date: null``) use
    ``run:<run_id>`` in its place. The try number is never part of it.

    :raises ValueError: neither ``logical_date`` nor ``run_id`` is given.
    """
    moment = _utc(logical_date)
    if moment is None and not run_id:
        raise ValueError("run_key needs a logical_date or a run_id")
    run = moment.isoformat() if moment is not None else f"run:{run_id}"
    return f"{dag_id}/{task_id}/{run}/{map_index}"


def run_key_of(task: Any, context: Any) -> str:
    """:func:`run_key` of ``task`` (an operator) running in ``context``."""
    return run_key(**_run_of(task, context))


def deterministic_tuned_model_id_of(task: Any, context: Any) -> str:
    """:func:`deterministic_tuned_model_id` of ``task`` (an operator) running in ``context``."""
    return deterministic_tuned_model_id(**_run_of(task, context))


def _run_of(task: Any, context: Any) -> dict[str, Any]:
    """What names one logical run of ``task``: its DAG and task, logical date, run and map index."""
    ti = context["ti"]
    return {
        "dag_id": task.dag_id,
        "task_id": task.task_id,
        "logical_date": context.get("logical_date"),
        "run_id": context["run_id"],
        "map_index": ti.map_index if ti.map_index is not None else -1,
    }


def _utc(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _id_slug(text: str) -> str:
    slug = _NOT_ID_CHARACTERS.sub("-", text.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"tm-{slug}".rstrip("-")
    return slug
