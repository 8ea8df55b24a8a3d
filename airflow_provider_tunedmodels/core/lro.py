"""Waiting for a ``google.longrunning.Operation``, with a wall-clock deadline.

Gemini API ``tunedModels.create`` and Vertex AI ``tuningJobs.rebaseTunedModel``
answer with this operation shape (a Vertex ``tuningJobs.create`` answers with the
job itself), so the wait lives here, on the shared polling loop of
:mod:`~airflow_provider_tunedmodels.core.polling`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from airflow_provider_tunedmodels.core.errors import OperationFailedError, OperationTimeoutError
from airflow_provider_tunedmodels.core.polling import PollPolicy, PollResult, apoll, poll

__all__ = ["OperationLike", "apoll_operation", "poll_operation", "raise_for_operation"]


class OperationLike(Protocol):
    """The fields of ``google.longrunning.Operation`` the wait loop reads."""

    @property
    def name(self) -> str | None: ...

    @property
    def done(self) -> bool | None: ...

    @property
    def error_code(self) -> int | None: ...

    @property
    def error_message(self) -> str: ...


OpT = TypeVar("OpT", bound=OperationLike)


def raise_for_operation(operation: OperationLike) -> None:
    """Raise :class:`OperationFailedError` if the operation finished with an error."""
    if operation.done and operation.error_code:
        raise OperationFailedError(
            operation.name or "?", operation.error_code, operation.error_message
        )


def poll_operation(
    fetch: Callable[[], OpT],
    *,
    timeout: float,
    poll_interval: float,
    on_poll: Callable[[OpT], Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> OpT:
    """Fetch until ``done``; return the operation or raise on error / timeout."""
    policy = PollPolicy(interval=poll_interval, end_time=clock() + timeout, jitter=0.0)
    result = poll(fetch, finished=_done, policy=policy, on_poll=on_poll, sleep=sleep, clock=clock)
    return _outcome(result, timeout)


async def apoll_operation(
    fetch: Callable[[], Awaitable[OpT]],
    *,
    timeout: float,
    poll_interval: float,
    on_poll: Callable[[OpT], Any] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
) -> OpT:
    """Async twin of :func:`poll_operation`."""
    policy = PollPolicy(interval=poll_interval, end_time=clock() + timeout, jitter=0.0)
    result = await apoll(
        fetch, finished=_done, policy=policy, on_poll=on_poll, sleep=sleep, clock=clock
    )
    return _outcome(result, timeout)


def _done(operation: OperationLike) -> bool:
    return bool(operation.done)


def _outcome(result: PollResult[OpT], timeout: float) -> OpT:
    operation = result.value
    assert operation is not None  # a fetch that raised has ended the wait already
    if result.timed_out:
        raise OperationTimeoutError(operation.name or "?", timeout)
    raise_for_operation(operation)
    return operation
