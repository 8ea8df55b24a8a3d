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
from typing import Any, Generic, TypeVar

# The waits' defaults live with the provider's other defaults (operators and triggers
# read them without importing this module); re-exported here, where they are used.
from airflow_provider_tunedmodels.defaults import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    MAX_CONSECUTIVE_POLL_FAILURES,
    MAX_FAILURE_BACKOFF,
    POLL_JITTER,
)

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
    rounds = _Rounds(finished, policy, is_transient, on_poll, on_failure, deadline_of, clock)
    while True:
        try:
            value = fetch()
        except Exception as exc:
            rounds.failed(exc)
        else:
            if rounds.read(value):
                return PollResult(value, True)
        delay = rounds.next_delay()
        if delay is None:
            return PollResult(rounds.last, False)
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
    rounds = _Rounds(finished, policy, is_transient, on_poll, on_failure, deadline_of, clock)
    while True:
        try:
            value = await fetch()
        except Exception as exc:
            rounds.failed(exc)
        else:
            if rounds.read(value):
                return PollResult(value, True)
        delay = rounds.next_delay()
        if delay is None:
            return PollResult(rounds.last, False)
        await sleep(delay)


class TooManyPollFailuresError(Exception):
    """Raised in place of the last transient error once the bound is reached."""

    def __init__(self, failures: int, last: BaseException) -> None:
        super().__init__(f"{failures} polls failed in a row; last error: {last}")
        self.failures = failures
        self.last = last


@dataclass
class _Rounds(Generic[T]):
    """What a wait decides between its fetches and sleeps, for :func:`poll` and :func:`apoll`."""

    finished: Callable[[T], bool]
    policy: PollPolicy
    is_transient: Callable[[BaseException], bool]
    on_poll: Callable[[T], Any] | None
    on_failure: Callable[[int, BaseException], Any] | None
    deadline_of: Callable[[T], float | None] | None
    clock: Callable[[], float]
    failures: int = 0
    last: T | None = None

    def read(self, value: T) -> bool:
        """Take a reading; whether the wait is finished with it."""
        self.last = value
        self.failures = 0
        if self.on_poll is not None:
            self.on_poll(value)
        if self.finished(value):
            return True
        if self.deadline_of is not None:
            moved = self.deadline_of(value)
            if moved is not None:
                self.policy = replace(self.policy, end_time=moved)
        return False

    def failed(self, exc: Exception) -> None:
        """Count a failed fetch; a non-transient error, or one too many, is raised."""
        if not self.is_transient(exc):
            raise exc
        self.failures += 1
        if self.failures >= self.policy.max_consecutive_failures:
            raise TooManyPollFailuresError(self.failures, exc) from exc
        if self.on_failure is not None:
            self.on_failure(self.failures, exc)

    def next_delay(self) -> float | None:
        """Seconds until the next fetch, or ``None`` once the deadline has passed."""
        return self.policy.next_delay(self.failures, now=self.clock())
