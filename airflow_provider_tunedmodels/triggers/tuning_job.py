"""The trigger that waits for a tuning job of any backend, without holding a worker slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_tunedmodels.defaults import (
    DEFAULT_POLL_INTERVAL,
    MAX_CONSECUTIVE_POLL_FAILURES,
    POLL_JITTER,
)

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.base import JobStatus, TuningJobHook
    from airflow_provider_tunedmodels.tuning_policy import TriggerEventPayload

__all__ = ["GEMINI_HOOK_CLASS_PATH", "ON_KILL_TIMEOUT", "TuningJobTrigger"]

#: Cancel requests of ``on_kill`` still under way (see :meth:`TuningJobTrigger.on_kill`).
_CANCELLING: set[asyncio.Future[None]] = set()
#: Seconds ``on_kill`` may spend cancelling (Airflow also bounds it, by default to 30 s).
ON_KILL_TIMEOUT = 20.0
#: The backend used when a trigger names none (the only one 0.1.0 had).
GEMINI_HOOK_CLASS_PATH = "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook"


class TuningJobTrigger(BaseTrigger):
    """Poll a tuning job until it succeeds, fails or turns out unexpected; fire one event.

    The backend is the hook class named by ``hook_class_path``; the trigger asks it
    only for the job's status (:meth:`~airflow_provider_tunedmodels.hooks.base.TuningJobHook.aread_job_status`)
    and, on kill, to cancel it. Each poll logs the backend's progress line.

    Exactly one event is yielded (payload in
    :mod:`airflow_provider_tunedmodels.tuning_policy`): ``success``, ``failed``,
    ``timeout`` or ``error``. A state the backend does not expect while waiting
    is an ``error`` event, never an endless wait. Transient failures (429, 5xx,
    network, an unreadable answer) are tolerated up to
    ``max_consecutive_failures`` in a row with growing waits; permanent ones end
    the wait at once with an ``error`` event.

    The deadline is the wall-clock ``end_time`` (seconds since the epoch), not a
    duration: when the triggerer restarts, or the trigger moves to another
    triggerer, the re-created trigger keeps the original deadline. Polls carry a
    little jitter so triggers started together do not poll in lockstep. The
    trigger only reads, so running it twice at once is harmless.

    With ``cancel_on_kill=True``, a triggerer that supports ``BaseTrigger.on_kill``
    (Airflow 3.3 does) cancels the job when a user marks the deferred task failed
    or success, or clears it. A triggerer restart does not call ``on_kill``.

    HTTP connections are shared by every trigger of the same backend and
    connection id in a triggerer (see :mod:`~airflow_provider_tunedmodels.triggers.hook_pool`).
    The serialized arguments are primitives and never a credential.

    :param job_name: the job, as the backend names it.
    :param conn_id: the Airflow connection; only its id is stored.
    :param hook_class_path: the backend's hook class, e.g.
        ``airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook``.
    :param poll_interval: seconds between polls.
    :param end_time: deadline as seconds since the epoch; ``None`` waits without one.
        With ``run_timeout`` it is the deadline for the job to *start* (time waiting for
        quota counts against it, not against ``run_timeout``).
    :param run_timeout: seconds the job may run once it started (its server-side start
        time, so a restarted trigger keeps it); ``None``: only ``end_time`` applies.
    :param cancel_on_kill: cancel the job when the task is killed (see above).
    :param max_consecutive_failures: transient poll failures in a row before an ``error`` event.
    """

    #: How the trigger waits and reads the time (tests put a fake clock here).
    sleep: ClassVar[Callable[[float], Awaitable[Any]]] = staticmethod(asyncio.sleep)
    clock: ClassVar[Callable[[], float]] = staticmethod(time.time)
    #: Fraction of the poll interval added or removed at random.
    poll_jitter: ClassVar[float] = POLL_JITTER

    def __init__(
        self,
        *,
        job_name: str,
        conn_id: str,
        hook_class_path: str = GEMINI_HOOK_CLASS_PATH,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        end_time: float | None = None,
        cancel_on_kill: bool = False,
        max_consecutive_failures: int = MAX_CONSECUTIVE_POLL_FAILURES,
        run_timeout: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if max_consecutive_failures < 1:
            raise ValueError("max_consecutive_failures must be at least 1")
        self.job_name = job_name
        self.conn_id = conn_id
        self.hook_class_path = hook_class_path
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time) if end_time is not None else None
        self.cancel_on_kill = cancel_on_kill
        self.max_consecutive_failures = max_consecutive_failures
        self.run_timeout = float(run_timeout) if run_timeout is not None else None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The class path and the primitive arguments that re-create this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_name": self.job_name,
                "conn_id": self.conn_id,
                "hook_class_path": self.hook_class_path,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "cancel_on_kill": self.cancel_on_kill,
                "max_consecutive_failures": self.max_consecutive_failures,
                "run_timeout": self.run_timeout,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job finishes, fails or the deadline passes; yield one event."""
        from airflow_provider_tunedmodels._compat import AirflowNotFoundException
        from airflow_provider_tunedmodels.core.errors import ConfigurationError
        from airflow_provider_tunedmodels.hooks.base import import_hook_class
        from airflow_provider_tunedmodels.triggers.hook_pool import shared_hook

        try:
            hook_class = import_hook_class(self.hook_class_path)
            async with shared_hook(hook_class, self.conn_id) as hook:
                payload = await self._wait(hook)
        except (ConfigurationError, AirflowNotFoundException, ValueError) as exc:
            payload = self._event("error", f"Connection {self.conn_id!r} cannot be used: {exc}")
        yield TriggerEvent(payload)  # type: ignore[no-untyped-call]

    async def _wait(self, hook: TuningJobHook) -> TriggerEventPayload:
        from airflow_provider_tunedmodels.core.errors import TunedModelsError
        from airflow_provider_tunedmodels.core.polling import (
            PollPolicy,
            TooManyPollFailuresError,
            apoll,
        )
        from airflow_provider_tunedmodels.tuning_policy import is_transient_error

        policy = PollPolicy(
            self.poll_interval, self.end_time, self.max_consecutive_failures, self.poll_jitter
        )
        try:
            result = await apoll(
                lambda: hook.aread_job_status(self.job_name),
                finished=lambda status: status.finished,
                policy=policy,
                is_transient=is_transient_error,
                on_poll=self._log_progress,
                on_failure=self._log_failure,
                deadline_of=lambda status: status.run_deadline(self.run_timeout),
                sleep=type(self).sleep,
                clock=type(self).clock,
            )
        except TooManyPollFailuresError as exc:
            return self._event(
                "error",
                f"Waiting for {self.job_name} failed {exc.failures} times in a row; "
                f"last error: {exc.last}",
            )
        except TunedModelsError as exc:
            return self._event("error", f"Waiting for {self.job_name} failed: {exc}")
        if result.timed_out:
            return self._timeout_event(result.value)
        assert result.value is not None
        return _final_event(result.value)

    def _log_progress(self, status: JobStatus) -> None:
        self.log.info("%s: %s", status.job_name, status.progress)

    def _log_failure(self, failures: int, exc: BaseException) -> None:
        self.log.warning("Poll %d of %s failed (%s); trying again.", failures, self.job_name, exc)

    def _event(self, status: Any, message: str) -> TriggerEventPayload:
        from airflow_provider_tunedmodels.tuning_policy import make_event

        return make_event(status, message, job_name=self.job_name)

    def _timeout_event(self, last: JobStatus | None) -> TriggerEventPayload:
        from airflow_provider_tunedmodels.tuning_policy import make_event

        progress = f" Last progress: {last.progress}." if last is not None else ""
        return make_event(
            "timeout",
            f"{self.job_name} was not done by the deadline; tuning goes on server-side.{progress}",
            job_name=last.job_name if last is not None else self.job_name,
            result_name=last.result_name if last is not None else None,
            state=last.state if last is not None else None,
        )

    async def on_kill(self) -> None:
        """Cancel the tuning job if ``cancel_on_kill`` is set (Airflow calls this on a user kill).

        The triggerer cancels a trigger again on each of its loops while the trigger is still
        listed for cancelling, which can be while ``on_kill`` runs (a token to fetch, a loaded
        machine): the cancel request is shielded, so it goes on and is logged even then.
        """
        if not self.cancel_on_kill:
            return
        cancelling = asyncio.ensure_future(self._cancel_job())
        _CANCELLING.add(cancelling)  # a strong reference until it ends
        cancelling.add_done_callback(_CANCELLING.discard)
        try:
            await asyncio.shield(cancelling)
        except asyncio.CancelledError:
            self.log.info("Cancelling %s goes on after the trigger ends.", self.job_name)
            raise

    async def _cancel_job(self) -> None:
        from airflow_provider_tunedmodels.hooks.base import import_hook_class
        from airflow_provider_tunedmodels.triggers.hook_pool import shared_hook

        async with shared_hook(import_hook_class(self.hook_class_path), self.conn_id) as hook:
            done = await asyncio.wait_for(hook.acancel_job(self.job_name), timeout=ON_KILL_TIMEOUT)
        self.log.info("%s", done)


def _final_event(status: JobStatus) -> TriggerEventPayload:
    """The event of a finished reading: success, failed, or error for an unexpected state."""
    from airflow_provider_tunedmodels.tuning_policy import make_event

    if status.outcome == "succeeded":
        kind, message = "success", f"{status.result_name} is {status.state}."
    else:
        kind = "failed" if status.outcome == "failed" else "error"
        message = status.failure_message()
    return make_event(
        kind,  # type: ignore[arg-type]
        message,
        job_name=status.job_name,
        result_name=status.result_name,
        state=status.state,
        error=status.error,
    )
