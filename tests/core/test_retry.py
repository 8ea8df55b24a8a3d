from __future__ import annotations

import random

import pytest

from airflow_provider_tunedmodels.core.retry import RetryPolicy, RetryState, parse_retry_after


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(initial_backoff=1.0, multiplier=2.0, max_backoff=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(initial_backoff=4.0, jitter=0.5)
    rng = random.Random(7)
    delays = [policy.backoff(1, rng) for _ in range(200)]
    assert min(delays) >= 2.0
    assert max(delays) <= 4.0
    assert len(set(delays)) > 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


def test_idempotent_calls_retry_transient_statuses_until_attempts_run_out() -> None:
    state = RetryState(RetryPolicy(max_attempts=3, jitter=0.0), idempotent=True)
    state.begin_attempt()
    assert state.delay_after_status(503, None) == 1.0
    state.begin_attempt()
    assert state.delay_after_status(500, None) == 2.0
    state.begin_attempt()
    assert state.delay_after_status(503, None) is None


def test_non_idempotent_calls_retry_only_what_the_server_did_not_process() -> None:
    state = RetryState(RetryPolicy(jitter=0.0), idempotent=False)
    state.begin_attempt()
    assert state.delay_after_status(500, None) is None
    assert state.delay_after_status(503, None) is None
    assert state.delay_after_status(429, None) == 1.0
    assert state.delay_after_network_error(request_sent=False) == 1.0
    assert state.delay_after_network_error(request_sent=True) is None


def test_client_errors_are_never_retried() -> None:
    state = RetryState(RetryPolicy(), idempotent=True)
    state.begin_attempt()
    for status in (400, 401, 403, 404, 409):
        assert state.delay_after_status(status, None) is None


def test_retry_after_is_honoured_but_not_past_the_total_timeout() -> None:
    state = RetryState(RetryPolicy(jitter=0.0, total_timeout=10.0), idempotent=True)
    state.begin_attempt()
    assert state.delay_after_status(429, 7.0) == 7.0
    assert state.delay_after_status(429, 30.0) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)
