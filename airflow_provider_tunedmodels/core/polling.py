"""The one polling loop: fetch, report, decide, sleep -- with a wall-clock deadline and jitter.

The hook's ``wait_for_*`` methods, the operators' worker-side waits and the
trigger all wait through :func:`poll` / :func:`apoll`, so they agree on what a
deadline, a transient failure and a delay mean.

* The deadline is a wall-clock ``end_time`` (seconds since the epoch): a trigger
  re-created on another triggerer keeps the original deadline.
* Delays carry a little random jitter, so thousands of waits started together
  (a triggerer restart, a backfill) do not poll in lockstep.
* Transient failures (429, 5xx, network) are tolerated up to a bound, with
  growing delays; any other error ends the wait at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Final, Generic, TypeVar

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "MAX_CONSECUTIVE_POLL_FAILURES",
    "MAX_FAILURE_BACKOFF",
    "POLL_JITTER",
    "PollPolicy",
    "PollResult",
    "TooManyPollFailuresError",
    "apoll",
    "poll",
]

T = TypeVar("T")

#: Seconds between polls when the caller does not say.
DEFAULT_POLL_INTERVAL: Final = 30.0
#: Seconds to wait for a tuning job when the caller does not say.
DEFAULT_WAIT_TIMEOUT: Final = 24 * 3600.0
#: Transient poll failures in a row that a wait tolerates before giving up.
MAX_CONSECUTIVE_POLL_FAILURES: Final = 5
#: Longest wait between polls after transient failures, in seconds.
MAX_FAILURE_BACKOFF: Final = 600.0
#: Fraction of the poll interval added or removed at random.
POLL_JITTER: Final = 0.1


@dataclass(frozen=True)
class PollPolicy:
    """When to poll again, and when to stop.

    :param interval: seconds between polls.
    :param end_time: deadline as seconds since the epoch; ``None`` waits without one.
    :param max_consecutive_failures: transient failures in a row that end the wait.
    :param jitter: fraction of ``interval`` added or removed at random.
    """

    interval: float = DEFAULT_POLL_INTERVAL
    end_time: float | None = None
    max_consecutive_failures: int = MAX_CONSECUTIVE_POLL_FAILURES
    jitter: float = POLL_JITTER

    def __post_init__(self) -> None:
        if not self.interval >= 0:
            raise ValueError("poll_interval must not be negative")
        if self.max_consecutive_failures < 1:
            raise ValueError("max_consecutive_failures must be at least 1")

    def next_delay(
        self, failures: int, *, now: float, rand: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds until the next poll, or ``None`` once the deadline has passed."""
        delay = self.interval
        if failures:
            delay = min(self.interval * 2 ** (failures - 1), MAX_FAILURE_BACKOFF)
        delay *= 1 + self.jitter * (2 * rand() - 1)
        if self.end_time is None:
            return delay
        remaining = self.end_time - now
        return min(delay, remaining) if remaining > 0 else None


@dataclass(frozen=True)
class PollResult(Generic[T]):
    """How a wait ended: ``done`` (with the last value), or ``timed_out``.

    :ivar value: the last value read, or ``None`` if no poll succeeded.
    :ivar done: ``finished(value)`` was true.
    """

    value: T | None
    done: bool

    @property
    def timed_out(self) -> bool:
        return not self.done


def poll(
    fetch: Callable[[], T],
    *,
    finished: Callable[[T], bool],
    policy: PollPolicy,
    is_transient: Callable[[BaseException], bool] = lambda exc: False,
    on_poll: Callable[[T], Any] | None = None,
    on_failure: Callable[[int, BaseException], Any] | None = None,
    deadline_of: Callable[[T], float | None] | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> PollResult[T]:
    """Fetch until ``finished``; a non-transient error, or too many transient ones, is raised.

    ``deadline_of`` may move the deadline from what a reading says (e.g. a job's start
    time, so that time waiting for quota does not count); ``None`` keeps it.
    """
    failures = 0
    last: T | None = None
    while True:
        try:
            last = fetch()
        except Exception as exc:
            failures = _count_failure(exc, failures, policy, is_transient, on_failure)
        else:
            failures = 0
            if on_poll is not None:
                on_poll(last)
            if finished(last):
                return PollResult(last, True)
            policy = _moved(policy, deadline_of, last)
        delay = policy.next_delay(failures, now=clock())
        if delay is None:
            return PollResult(last, False)
        sleep(delay)


async def apoll(
    fetch: Callable[[], Awaitable[T]],
    *,
    finished: Callable[[T], bool],
    policy: PollPolicy,
    is_transient: Callable[[BaseException], bool] = lambda exc: False,
    on_poll: Callable[[T], Any] | None = None,
    on_failure: Callable[[int, BaseException], Any] | None = None,
    deadline_of: Callable[[T], float | None] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    clock: Callable[[], float] = time.time,
) -> PollResult[T]:
    """Async twin of :func:`poll`."""
    failures = 0
    last: T | None = None
    while True:
        try:
            last = await fetch()
        except Exception as exc:
            failures = _count_failure(exc, failures, policy, is_transient, on_failure)
        else:
            failures = 0
            if on_poll is not None:
                on_poll(last)
            if finished(last):
                return PollResult(last, True)
            policy = _moved(policy, deadline_of, last)
        delay = policy.next_delay(failures, now=clock())
        if delay is None:
            return PollResult(last, False)
        await sleep(delay)


class TooManyPollFailuresError(Exception):
    """Raised in place of the last transient error once the bound is reached."""

    def __init__(self, failures: int, last: BaseException) -> None:
        super().__init__(f"{failures} polls failed in a row; last error: {last}")
        self.failures = failures
        self.last = last


def _moved(
    policy: PollPolicy, deadline_of: Callable[[T], float | None] | None, last: T
) -> PollPolicy:
    if deadline_of is None:
        return policy
    moved = deadline_of(last)
    return policy if moved is None else replace(policy, end_time=moved)


def _count_failure(
    exc: Exception,
    failures: int,
    policy: PollPolicy,
    is_transient: Callable[[BaseException], bool],
    on_failure: Callable[[int, BaseException], Any] | None,
) -> int:
    if not is_transient(exc):
        raise exc
    failures += 1
    if failures >= policy.max_consecutive_failures:
        raise TooManyPollFailuresError(failures, exc) from exc
    if on_failure is not None:
        on_failure(failures, exc)
    return failures
