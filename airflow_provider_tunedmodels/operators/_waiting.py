"""Waiting for a tuning job from an operator: deferred, on the worker, and on resume.

Every backend's create operator and the sensor wait through these helpers, so
they agree on the deadline, the events and what fails a task. They ask the
backend only through the hook's seam (:mod:`~airflow_provider_tunedmodels.hooks.base`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.base import JobStatus
    from airflow_provider_tunedmodels.operators._base import TuningBaseOperator
    from airflow_provider_tunedmodels.tuning_policy import TriggerEventPayload

__all__ = ["build_trigger", "checked_event", "raise_for_outcome", "wait_on_worker"]


def build_trigger(
    operator: TuningBaseOperator,
    status: JobStatus,
    *,
    poll_interval: float,
    timeout: float,
    cancel_on_kill: bool = False,
    start_timeout: float | None = None,
) -> Any:
    """The trigger that waits for ``status``'s job.

    Without ``start_timeout`` the deadline is ``timeout`` seconds from now. With it, the
    job has ``start_timeout`` seconds to start (waiting for quota) and then ``timeout``
    seconds to run, counted from its server-side start time.
    """
    from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

    first = start_timeout if start_timeout is not None else timeout
    return TuningJobTrigger(
        job_name=status.job_name,
        conn_id=operator.conn_id,
        hook_class_path=operator.hook_class_path,
        poll_interval=poll_interval,
        end_time=time.time() + first,
        cancel_on_kill=cancel_on_kill,
        run_timeout=timeout if start_timeout is not None else None,
    )


def wait_on_worker(
    operator: TuningBaseOperator,
    status: JobStatus,
    *,
    poll_interval: float,
    timeout: float,
    start_timeout: float | None = None,
) -> JobStatus:
    """Poll on the worker until the job is finished; raise once the deadline passes.

    The deadlines are those of :func:`build_trigger`.
    """
    from airflow_provider_tunedmodels.core.errors import OperationTimeoutError
    from airflow_provider_tunedmodels.core.polling import PollPolicy, poll

    if status.finished:
        return status
    hook = operator.hook
    run_timeout = timeout if start_timeout is not None else None
    first = start_timeout if start_timeout is not None else timeout
    result = poll(
        lambda: hook.read_job_status(status.job_name),
        finished=lambda current: current.finished,
        policy=PollPolicy(poll_interval, time.time() + first),
        on_poll=lambda current: operator.log.info("%s: %s", current.job_name, current.progress),
        deadline_of=lambda current: current.run_deadline(run_timeout),
    )
    if result.timed_out or result.value is None:
        raise OperationTimeoutError(status.job_name, timeout)
    return result.value


def raise_for_outcome(status: JobStatus) -> None:
    """Fail the task (without retries) unless the job succeeded."""
    from airflow_provider_tunedmodels._compat import AirflowFailException

    if status.outcome != "succeeded":
        raise AirflowFailException(status.failure_message())


def checked_event(
    event: object, *, timeout_error: Callable[[str], BaseException]
) -> TriggerEventPayload:
    """Validate a trigger event on resume; raise for anything but ``success``.

    ``failed`` fails the task without retries; ``timeout`` raises ``timeout_error(message)``
    (retries allowed: a retry re-attaches to the still-running job); ``error``
    raises :class:`~airflow_provider_tunedmodels.tuning_policy.TuningWaitError`.
    """
    from airflow_provider_tunedmodels._compat import AirflowFailException
    from airflow_provider_tunedmodels.tuning_policy import TuningWaitError, validate_trigger_event

    checked = validate_trigger_event(event)
    if checked["status"] == "failed":
        raise AirflowFailException(checked["message"])
    if checked["status"] == "timeout":
        raise timeout_error(checked["message"])
    if checked["status"] == "error":
        raise TuningWaitError(checked["message"])
    return checked
