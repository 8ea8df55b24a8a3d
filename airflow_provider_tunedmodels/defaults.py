"""Defaults that more than one module needs, defined once.

This module imports nothing, so the modules a DAG file imports (operators) and
the provider's metadata can use it without cost.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "GEMINI_CONN_ID",
    "MAX_CONSECUTIVE_POLL_FAILURES",
    "MAX_FAILURE_BACKOFF",
    "POLL_JITTER",
    "VERTEX_CONN_ID",
    "VERTEX_LOCATION",
]

#: Connection id used when a Gemini API hook or operator is given none.
GEMINI_CONN_ID: Final = "gemini_tuned_models_default"
#: Connection id used when a Vertex AI hook or operator is given none.
VERTEX_CONN_ID: Final = "vertex_ai_tuning_default"
#: Vertex AI location used when the connection names none.
VERTEX_LOCATION: Final = "us-central1"

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
