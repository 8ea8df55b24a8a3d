"""Waiting for a ``google.longrunning.Operation``, with a wall-clock deadline.

Both Google tuning backends (Gemini API ``tunedModels`` and Vertex AI
``tuningJobs``) answer with this same operation shape, so the loop lives here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from airflow_provider_tunedmodels.core.errors import OperationFailedError, OperationTimeoutError

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
    clock: Callable[[], float] = time.monotonic,
) -> OpT:
    """Fetch until ``done``; return the operation or raise on error / timeout."""
    deadline = clock() + timeout
    while True:
        operation = fetch()
        if on_poll is not None:
            on_poll(operation)
        if operation.done:
            raise_for_operation(operation)
            return operation
        remaining = deadline - clock()
        if remaining <= 0:
            raise OperationTimeoutError(operation.name or "?", timeout)
        sleep(min(poll_interval, remaining))


async def apoll_operation(
    fetch: Callable[[], Awaitable[OpT]],
    *,
    timeout: float,
    poll_interval: float,
    on_poll: Callable[[OpT], Any] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> OpT:
    """Async twin of :func:`poll_operation`."""
    deadline = clock() + timeout
    while True:
        operation = await fetch()
        if on_poll is not None:
            on_poll(operation)
        if operation.done:
            raise_for_operation(operation)
            return operation
        remaining = deadline - clock()
        if remaining <= 0:
            raise OperationTimeoutError(operation.name or "?", timeout)
        await sleep(min(poll_interval, remaining))
