"""Page tokens and paging of list calls.

Page tokens are opaque (base64url JSON) and bound to the query that produced
them: the parent, the filter and the caller. A token used with another query,
or a token the emulator did not issue, is ``INVALID_ARGUMENT``. A token points
after the last item of its page, so deleting items between calls neither
repeats nor skips the remaining ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from airflow_provider_tunedmodels.emulator.errors import invalid_argument
from airflow_provider_tunedmodels.emulator.wire import parse_json

__all__ = ["SortKey", "decode_page_token", "encode_page_token", "paginate"]


T = TypeVar("T")
SortKey = tuple[float, str]


def _fingerprint(query: Sequence[str]) -> str:
    return hashlib.sha256("\x00".join(query).encode()).hexdigest()[:16]


def encode_page_token(query: Sequence[str], after: SortKey) -> str:
    """An opaque token for the page after ``after``, bound to ``query``."""
    payload = json.dumps({"q": _fingerprint(query), "t": after[0], "n": after[1]})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_page_token(token: str, query: Sequence[str]) -> SortKey:
    """The position encoded in ``token``, checking it belongs to ``query``."""
    try:
        data: Any = parse_json(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        fingerprint, after_time, after_name = data["q"], float(data["t"]), str(data["n"])
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError) as exc:
        raise invalid_argument("Invalid page token.") from exc
    if fingerprint != _fingerprint(query):
        raise invalid_argument(
            "The page token does not match the request: all parameters other than "
            "page_size and page_token must be the same as in the request that returned it."
        )
    return after_time, after_name


def paginate(
    items: Sequence[T],
    key: Callable[[T], SortKey],
    *,
    page_size: int,
    page_token: str | None,
    query: Sequence[str],
) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``key``) and the token of the next page."""
    ordered = sorted(items, key=key)
    if page_token:
        after = decode_page_token(page_token, query)
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:page_size]
    if len(ordered) <= page_size:
        return page, None
    return page, encode_page_token(query, key(page[-1]))
