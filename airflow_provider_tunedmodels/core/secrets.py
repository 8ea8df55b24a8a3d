"""Keeping credentials out of logs, exception text and reprs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

__all__ = ["REDACTED", "mask_secret", "redact"]

log = logging.getLogger(__name__)

#: What a secret is replaced with.
REDACTED = "***"


def mask_secret(value: str | None) -> None:
    """Register ``value`` with Airflow's secrets masker so task logs never show it.

    Outside Airflow (a plain script, the emulator) this does nothing.
    """
    if not value:
        return
    masker = _airflow_mask_secret()
    if masker is not None:
        masker(value)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each non-empty secret in ``text``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _airflow_mask_secret() -> Callable[[str], None] | None:
    try:
        from airflow.sdk.log import mask_secret as masker
    except ImportError:  # Airflow is not installed: nothing to register with
        return None
    return masker
