"""When and how long to wait before repeating a failed request.

The rule for what may be repeated automatically:

* A request that never reached the server (connection refused, DNS, connect
  timeout) and a request the server refused with ``429`` are repeated for every
  call: the server did nothing.
* Everything else that looks transient (read errors, ``408``, ``500``, ``502``,
  ``503``, ``504``, a success answer whose body is not JSON) is repeated only
  for calls that are safe to repeat: reads, deletes, patches, generation, and
  ``tunedModels.create`` *with* a ``tunedModelId`` (a repeat of a create that
  did succeed is recognised by its ``ALREADY_EXISTS`` answer). A create without
  an id is never repeated after it may have reached the server, because a
  repeat could create a second model.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = [
    "RETRYABLE_STATUS_CODES",
    "RetryPolicy",
    "RetryState",
    "parse_retry_after",
]

#: HTTP codes that mean "try again later" when the call is safe to repeat.
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
#: HTTP codes that mean the server did not act on the request at all.
NOT_PROCESSED_STATUS_CODES = frozenset({429})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter.

    :param max_attempts: attempts in total, the first included (1 disables retries).
    :param initial_backoff: seconds before the first repeat.
    :param multiplier: growth factor of the backoff between attempts.
    :param max_backoff: cap of a single computed wait, in seconds.
    :param total_timeout: no new attempt starts once this many seconds have passed
        since the first one, and no wait runs past it.
    :param jitter: each wait is scaled by a random factor in ``[1 - jitter, 1]``.
    """

    max_attempts: int = 5
    initial_backoff: float = 1.0
    multiplier: float = 2.0
    max_backoff: float = 60.0
    total_timeout: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.total_timeout < 0:
            raise ValueError("backoff and timeout values must not be negative")

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before repeat number ``retry_number`` (1-based), jitter applied."""
        base = min(self.max_backoff, self.initial_backoff * self.multiplier ** (retry_number - 1))
        factor = 1.0 - self.jitter * (rng or random).random()
        return base * factor


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, moment.timestamp() - reference)


@dataclass
class RetryState:
    """The attempts of one logical call; decides whether and how long to wait.

    :param idempotent: the call is safe to repeat after it may have reached the server.
    """

    policy: RetryPolicy
    idempotent: bool
    rng: random.Random | None = None
    attempts: int = 0
    started: float = field(default_factory=time.monotonic)
    #: Whether a cached token was already dropped after a 401 in this call.
    refreshed_token: bool = False

    def begin_attempt(self) -> None:
        """Count an attempt; call right before sending."""
        self.attempts += 1

    def delay_after_status(self, status_code: int, retry_after: float | None) -> float | None:
        """Seconds to wait before repeating after an HTTP error, or ``None`` to give up."""
        if status_code not in RETRYABLE_STATUS_CODES:
            return None
        if not self.idempotent and status_code not in NOT_PROCESSED_STATUS_CODES:
            return None
        return self._delay(retry_after)

    def delay_after_unreadable_answer(self) -> float | None:
        """Seconds to wait after a success status with a body that is not JSON, or ``None``.

        The server may have acted, so only calls that are safe to repeat are repeated.
        """
        if not self.idempotent:
            return None
        return self._delay(None)

    def delay_after_network_error(self, *, request_sent: bool) -> float | None:
        """Seconds to wait after a network failure, or ``None`` to give up."""
        if request_sent and not self.idempotent:
            return None
        return self._delay(None)

    def _delay(self, retry_after: float | None) -> float | None:
        if self.attempts >= self.policy.max_attempts:
            return None
        delay = self.policy.backoff(self.attempts, self.rng)
        if retry_after is not None:
            delay = max(delay, retry_after)
        remaining = self.policy.total_timeout - (time.monotonic() - self.started)
        if delay > remaining:
            return None
        return delay
