"""Downloads (``alt=media``): a single byte range, checksums in ``x-goog-hash``.

A ``Range`` of ``bytes=A-B``, ``bytes=A-`` or ``bytes=-N`` is answered ``206``
with ``Content-Range``; a range starting past the end is ``416``; a header that
is not understood is ignored (the whole object is sent), as HTTP prescribes.
Contents held in a file are sent in pieces read in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

from airflow_provider_tunedmodels.emulator.gcs import errors
from airflow_provider_tunedmodels.emulator.gcs.store import StoredObject
from airflow_provider_tunedmodels.emulator.responses import Reply

__all__ = ["media_reply", "parse_range"]

_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end excluded) asked by ``header``, or ``None`` for the whole object."""
    found = _RANGE.fullmatch(header.strip()) if header else None
    if found is None or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise errors.range_not_satisfiable(size)
        return max(0, size - suffix), size
    start = int(first)
    if start >= size:
        raise errors.range_not_satisfiable(size)
    if last and int(last) < start:
        return None
    return start, size if not last else min(int(last) + 1, size)


def media_reply(stored: StoredObject, range_header: str | None) -> Reply:
    """The answer to a download of ``stored``."""
    blob = stored.blob
    span = parse_range(range_header, blob.size)
    start, end = span if span is not None else (0, blob.size)
    headers = {
        "x-goog-generation": str(stored.generation),
        "x-goog-metageneration": "1",
        "x-goog-stored-content-length": str(blob.size),
        "x-goog-stored-content-encoding": "identity",
        "x-goog-hash": f"crc32c={blob.crc32c},md5={blob.md5}",
        "accept-ranges": "bytes",
    }
    if span is not None:
        headers["content-range"] = f"bytes {start}-{end - 1}/{blob.size}"
    status = 206 if span is not None else 200
    content_type = stored.content_type.encode("latin-1", errors="replace")
    if blob.path is None:
        return Reply(
            body=blob.read(start, end), status=status, content_type=content_type, headers=headers
        )
    headers["content-length"] = str(end - start)
    return Reply(
        stream=_in_thread(blob.chunks(start, end)),
        status=status,
        content_type=content_type,
        headers=headers,
    )


async def _in_thread(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Iterate blocking reads without blocking the event loop."""
    while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
        yield piece
