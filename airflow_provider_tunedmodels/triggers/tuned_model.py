"""The trigger that waits for a tuning job in the triggerer, without holding a worker slot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_tunedmodels.tuning_policy import (
    DEFAULT_POLL_INTERVAL,
    MAX_CONSECUTIVE_POLL_FAILURES,
    TriggerEventPayload,
    is_transient_error,
    make_event,
)

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook
    from airflow_provider_tunedmodels.triggers.status import TuningStatus

__all__ = ["TunedModelTrigger"]

#: Longest wait between polls after transient failures, in seconds.
MAX_FAILURE_BACKOFF = 600.0
#: Seconds ``on_kill`` may spend cancelling (Airflow also bounds it, by default to 30 s).
ON_KILL_TIMEOUT = 20.0


class TunedModelTrigger(BaseTrigger):
    """Poll a tuning job until the tuned model is ACTIVE or FAILED, then fire one event.

    Each poll reads the create operation if its name is known (it reports total
    steps and the error of a failed job), else the tuned model, and logs a
    progress line (step / total steps, percent, epoch, latest mean loss).

    Exactly one event is yielded, with a payload described in
    :mod:`airflow_provider_tunedmodels.tuning_policy`: ``success``, ``failed``,
    ``timeout`` or ``error``. Transient failures (429, 5xx, network) are
    tolerated up to ``max_consecutive_failures`` in a row with growing waits;
    permanent ones (not found, permission denied, unauthenticated, a bad
    connection) end the wait at once with an ``error`` event.

    The deadline is the wall-clock ``end_time`` (seconds since the epoch), not a
    duration: when the triggerer restarts, or the trigger moves to another
    triggerer, the re-created trigger keeps the original deadline. The trigger
    only reads, so running it twice at once is harmless.

    Cancelling on kill: with ``cancel_on_kill=True``, when a user marks the
    deferred task failed or success, or clears it, a triggerer that supports
    ``BaseTrigger.on_kill`` (Airflow 3.3 does) runs :meth:`on_kill`, which cancels the
    create operation (the ``v1`` cancel method) and, if the server cannot cancel
    it, deletes the model while it is still CREATING. A model that is already
    ACTIVE or FAILED is never touched. A triggerer restart or a redistribution
    does not call ``on_kill``. Airflow versions whose triggerer does not call
    ``on_kill`` ignore the option: the tuning job then keeps running after the
    task is killed, and must be cancelled by hand (e.g. with the hook's
    ``cancel_operation``).

    HTTP connections are shared by every trigger of the same connection id in a
    triggerer (see :mod:`~airflow_provider_tunedmodels.triggers.hook_pool`); each
    waiting trigger keeps only its few primitive fields.

    :param tuned_model_name: ``tunedModels/{id}`` or the bare id.
    :param operation_name: the create operation, ``tunedModels/{id}/operations/{op}``, if known.
    :param gemini_conn_id: the Airflow connection; only its id is stored.
    :param poll_interval: seconds between polls.
    :param end_time: deadline as seconds since the epoch (``time.time()``); ``None`` waits
        without a deadline of its own.
    :param cancel_on_kill: cancel the tuning job when the task is killed (see above).
    :param max_consecutive_failures: transient poll failures in a row before an ``error`` event.

    Example::

        self.defer(
            trigger=TunedModelTrigger(
                tuned_model_name="tunedModels/support-router-20250101-3f0c9e1a2b",
                operation_name=operation.name,
                gemini_conn_id=self.gemini_conn_id,
                poll_interval=60,
                end_time=time.time() + 6 * 3600,
            ),
            method_name="execute_complete",
        )
    """

    def __init__(
        self,
        *,
        tuned_model_name: str,
        operation_name: str | None = None,
        gemini_conn_id: str = "gemini_tuned_models_default",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        end_time: float | None = None,
        cancel_on_kill: bool = False,
        max_consecutive_failures: int = MAX_CONSECUTIVE_POLL_FAILURES,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if max_consecutive_failures < 1:
            raise ValueError("max_consecutive_failures must be at least 1")
        self.tuned_model_name = tuned_model_name
        self.operation_name = operation_name
        self.gemini_conn_id = gemini_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time) if end_time is not None else None
        self.cancel_on_kill = cancel_on_kill
        self.max_consecutive_failures = max_consecutive_failures

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The class path and the primitive arguments that re-create this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "tuned_model_name": self.tuned_model_name,
                "operation_name": self.operation_name,
                "gemini_conn_id": self.gemini_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "cancel_on_kill": self.cancel_on_kill,
                "max_consecutive_failures": self.max_consecutive_failures,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the job finishes, fails or the deadline passes; yield one event."""
        from airflow_provider_tunedmodels._compat import AirflowNotFoundException
        from airflow_provider_tunedmodels.core.errors import ConfigurationError
        from airflow_provider_tunedmodels.triggers.hook_pool import shared_hook

        try:
            async with shared_hook(self.gemini_conn_id) as hook:
                payload = await self._wait(hook)
        except (ConfigurationError, AirflowNotFoundException) as exc:
            payload = self._error_event(f"Connection {self.gemini_conn_id!r} cannot be used: {exc}")
        yield TriggerEvent(payload)  # type: ignore[no-untyped-call]

    async def _wait(self, hook: GeminiTunedModelsHook) -> TriggerEventPayload:
        from airflow_provider_tunedmodels.core.errors import TunedModelsError
        from airflow_provider_tunedmodels.triggers.status import aread_status

        failures = 0
        last: TuningStatus | None = None
        while True:
            try:
                last = await aread_status(hook, self.tuned_model_name, self.operation_name)
            except TunedModelsError as exc:
                if not is_transient_error(exc):
                    return self._error_event(f"Waiting for {self.tuned_model_name} failed: {exc}")
                failures += 1
                if failures >= self.max_consecutive_failures:
                    return self._error_event(
                        f"Waiting for {self.tuned_model_name} failed {failures} times in a row; "
                        f"last error: {exc}"
                    )
                self.log.warning(
                    "Poll %d of %s failed (%s); trying again.", failures, self.tuned_model_name, exc
                )
            else:
                failures = 0
                self.log.info("%s: %s", last.tuned_model_name, last.progress)
                if last.finished:
                    return last.to_event()
            delay = self._next_delay(failures)
            if delay is None:
                return self._timeout_event(last)
            await asyncio.sleep(delay)

    def _next_delay(self, failures: int) -> float | None:
        """Seconds until the next poll, or ``None`` once the deadline has passed."""
        delay = self.poll_interval
        if failures:
            delay = min(self.poll_interval * 2 ** (failures - 1), MAX_FAILURE_BACKOFF)
        if self.end_time is None:
            return delay
        remaining = self.end_time - time.time()
        return min(delay, remaining) if remaining > 0 else None

    def _error_event(self, message: str) -> TriggerEventPayload:
        return make_event(
            "error",
            message,
            tuned_model_name=self.tuned_model_name,
            operation_name=self.operation_name,
        )

    def _timeout_event(self, last: TuningStatus | None) -> TriggerEventPayload:
        progress = f" Last progress: {last.progress}." if last is not None else ""
        return make_event(
            "timeout",
            f"{self.tuned_model_name} was not done by the deadline; tuning goes on "
            f"server-side.{progress}",
            tuned_model_name=self.tuned_model_name,
            operation_name=self.operation_name,
            state=last.state if last is not None else None,
        )

    async def on_kill(self) -> None:
        """Cancel the tuning job if ``cancel_on_kill`` is set (Airflow calls this on a user kill)."""
        if not self.cancel_on_kill:
            return
        from airflow_provider_tunedmodels.triggers.hook_pool import shared_hook
        from airflow_provider_tunedmodels.triggers.status import acancel_tuning

        async with shared_hook(self.gemini_conn_id) as hook:
            done = await asyncio.wait_for(
                acancel_tuning(hook, self.tuned_model_name, self.operation_name),
                timeout=ON_KILL_TIMEOUT,
            )
        self.log.info("%s", done)
