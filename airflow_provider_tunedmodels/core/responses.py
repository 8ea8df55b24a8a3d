"""Reading the API's answers: the JSON object of a success, Google's envelope of an error.

Google's REST methods answer a JSON object (an empty body stands for ``{}``).
Anything else on a success status, such as a load balancer's HTML page or a body
cut off by a dropped connection, is reported as :class:`MalformedBody`, which
the clients turn into a typed error instead of letting a ``JSONDecodeError``
escape.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["MalformedBody", "parse_json_object", "read_error_envelope"]

#: Characters of an unexpected body quoted in a message.
_EXCERPT_LENGTH = 120


class MalformedBody(Exception):
    """A success body that is not a JSON object.

    :ivar problem: what the body is instead, for a message (e.g. ``an HTML page ...``).
    :ivar unreadable: the body is not JSON at all, so a repeat may get a good answer.
    """

    def __init__(self, problem: str, *, unreadable: bool) -> None:
        super().__init__(problem)
        self.problem = problem
        self.unreadable = unreadable


def parse_json_object(body: bytes | str) -> dict[str, Any]:
    """The JSON object in ``body``; ``{}`` for an empty body.

    :raises MalformedBody: the body is not JSON, or is JSON but not an object.
    """
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedBody(_describe_unreadable(body, error), unreadable=True) from None
    if not isinstance(payload, dict):
        kind = "list" if isinstance(payload, list) else type(payload).__name__
        raise MalformedBody(
            f"a JSON {kind} where a JSON object was expected ({_excerpt(body)})", unreadable=False
        )
    return payload


def _describe_unreadable(body: bytes | str, error: ValueError) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"a body that is not UTF-8 text ({len(body)} bytes)"
    first = _as_text(body).lstrip()[:1]
    if first in ("{", "["):
        return f"JSON that is cut off or corrupted ({len(body)} bytes: {_excerpt(body)})"
    if first == "<":
        return f"an HTML page instead of JSON ({_excerpt(body)})"
    return f"a body that is not JSON ({_excerpt(body)})"


def _as_text(body: bytes | str) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


def _excerpt(body: bytes | str) -> str:
    text = " ".join(_as_text(body).split())
    if len(text) > _EXCERPT_LENGTH:
        text = text[:_EXCERPT_LENGTH] + "..."
    return repr(text)


def read_error_envelope(response: httpx.Response) -> tuple[str | None, str, list[dict[str, Any]]]:
    """``(status, message, details)`` from Google's error envelope, tolerating other bodies."""
    try:
        payload = response.json()
    except ValueError:
        text = response.text.strip()[:500]
        return None, text or response.reason_phrase, []
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        error = payload[0].get("error")  # some front ends wrap the envelope in a list
    if not isinstance(error, dict):
        return None, json.dumps(payload)[:500], []
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    status = error.get("status")
    return (str(status) if status else None), str(error.get("message", "")), details
