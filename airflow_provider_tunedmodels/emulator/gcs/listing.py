"""``objects.list``: prefix, delimiter, page tokens and page size.

With a delimiter, names that continue past it after the prefix are rolled up
into ``prefixes`` (each once); items and prefixes together fill a page, in name
order. A page token is opaque (base64url JSON) and bound to the bucket, prefix
and delimiter that produced it; it names the last entry of its page, so the next
page starts after it (after every name under it, for a rolled-up prefix).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.gcs import errors
from airflow_provider_tunedmodels.emulator.gcs.store import Bucket, StoredObject

__all__ = ["MAX_RESULTS", "ObjectPage", "list_objects", "parse_max_results"]

#: Default and largest ``maxResults``.
MAX_RESULTS = 1000


@dataclass
class ObjectPage:
    """One page of ``objects.list``."""

    items: list[StoredObject]
    prefixes: list[str]
    next_page_token: str | None


def parse_max_results(raw: str | None) -> int:
    """``maxResults``: unset means 1,000; larger values are capped at 1,000."""
    if raw is None or raw == "":
        return MAX_RESULTS
    try:
        value = int(raw)
    except ValueError:
        raise errors.invalid(f"Invalid unsigned integer value: '{raw}'.") from None
    if value < 1:
        raise errors.invalid(f"Invalid value for maxResults: {raw}; it must be at least 1.")
    return min(value, MAX_RESULTS)


def _fingerprint(bucket: str, prefix: str, delimiter: str) -> str:
    return hashlib.sha256(f"{bucket}\x00{prefix}\x00{delimiter}".encode()).hexdigest()[:16]


def _encode_token(query: str, last: str, is_prefix: bool) -> str:
    payload = json.dumps({"q": query, "last": last, "prefix": is_prefix})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_token(token: str, query: str) -> tuple[str, bool]:
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        fingerprint, last, is_prefix = data["q"], str(data["last"]), bool(data["prefix"])
    except (binascii.Error, ValueError, KeyError, TypeError, RecursionError):
        raise errors.invalid("Invalid page token.") from None
    if fingerprint != query:
        raise errors.invalid(
            "The page token does not belong to this listing: keep the prefix and delimiter "
            "of the request that returned it."
        )
    return last, is_prefix


def list_objects(
    bucket: Bucket,
    *,
    prefix: str = "",
    delimiter: str = "",
    page_token: str | None = None,
    max_results: int = MAX_RESULTS,
) -> ObjectPage:
    """One page of the objects of ``bucket``; see the module documentation."""
    query = _fingerprint(bucket.name, prefix, delimiter)
    after, after_is_prefix = _decode_token(page_token, query) if page_token else ("", False)
    page = ObjectPage([], [], None)
    last: tuple[str, bool] | None = None
    for name in bucket.names_from(max(prefix, after)):
        if not name.startswith(prefix):
            break
        if page_token and (name <= after or (after_is_prefix and name.startswith(after))):
            continue
        entry = _rolled_up(name, prefix, delimiter)
        if entry is not None and page.prefixes and page.prefixes[-1] == entry:
            continue
        if len(page.items) + len(page.prefixes) == max_results:
            assert last is not None
            page.next_page_token = _encode_token(query, *last)
            break
        if entry is None:
            page.items.append(bucket.objects[name])
            last = (name, False)
        else:
            page.prefixes.append(entry)
            last = (entry, True)
    return page


def _rolled_up(name: str, prefix: str, delimiter: str) -> str | None:
    """The prefix ``name`` rolls up into, or ``None`` when it is listed itself."""
    if not delimiter:
        return None
    position = name.find(delimiter, len(prefix))
    return None if position < 0 else name[: position + len(delimiter)]
