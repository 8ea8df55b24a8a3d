"""Uploads: what an upload asks for, how it is finished, and resumable sessions.

A resumable upload starts a session whose URI the client then ``PUT``\\ s chunks
to, each with ``Content-Range: bytes A-B/TOTAL`` (``*`` while the total is not
known yet); an empty ``PUT`` with ``bytes */*`` asks how much has arrived. Every
chunk but the last must be a multiple of 256 KiB. A chunk that overlaps bytes
already received has the overlap ignored; one that starts beyond them is refused.
Each answer before the last is ``308`` with ``Range: bytes=0-N`` (no ``Range``
while nothing has arrived); the last is ``200`` with the object.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.gcs import errors
from airflow_provider_tunedmodels.emulator.gcs.blobs import BlobWriter
from airflow_provider_tunedmodels.emulator.gcs.multipart import BodySink
from airflow_provider_tunedmodels.emulator.gcs.resources import (
    DEFAULT_CONTENT_TYPE,
    EDITABLE_FIELDS,
)
from airflow_provider_tunedmodels.emulator.gcs.store import (
    ObjectStore,
    StoredObject,
    check_object_name,
)
from airflow_provider_tunedmodels.emulator.wire import to_camel

__all__ = [
    "CHUNK_GRANULARITY",
    "ContentRange",
    "ObjectSpec",
    "UploadSession",
    "finish_upload",
    "object_spec",
    "parse_content_range",
    "receive_chunk",
]

#: Every chunk of a resumable upload but the last is a multiple of this many bytes.
CHUNK_GRANULARITY = 256 * 1024

#: Offsets have at most 19 digits (int64), which also keeps hostile headers cheap to parse.
_RANGE = re.compile(r"bytes\s+(?:(\d{1,19})-(\d{1,19})|\*)/(\d{1,19}|\*)")


@dataclass(frozen=True)
class ObjectSpec:
    """The object an upload creates, as the request describes it."""

    bucket: str
    name: str
    content_type: str
    extra: dict[str, Any]
    md5: str | None = None
    crc32c: str | None = None
    if_generation_match: str | None = None


def object_spec(
    bucket: str,
    metadata: Mapping[str, Any],
    query: Mapping[str, str],
    content_type: str | None,
) -> ObjectSpec:
    """Combine the JSON metadata, the query (``name``, ``ifGenerationMatch``) and the media type."""
    fields = {to_camel(key): value for key, value in metadata.items()}
    name = fields.get("name") or query.get("name") or ""
    if not isinstance(name, str):
        raise errors.invalid("The object name must be a string.")
    check_object_name(name)
    media_type = fields.get("contentType") or content_type or DEFAULT_CONTENT_TYPE
    return ObjectSpec(
        bucket=bucket,
        name=name,
        content_type=str(media_type),
        extra={key: fields[key] for key in EDITABLE_FIELDS if key in fields},
        md5=fields.get("md5Hash"),
        crc32c=fields.get("crc32c"),
        if_generation_match=query.get("ifGenerationMatch"),
    )


def finish_upload(store: ObjectStore, spec: ObjectSpec, writer: BlobWriter) -> StoredObject:
    """Check the received bytes against the request and store them as the object."""
    blob = writer.finish()
    try:
        if spec.md5 is not None and spec.md5 != blob.md5:
            raise errors.invalid(
                f'Provided MD5 hash "{spec.md5}" doesn\'t match calculated MD5 hash "{blob.md5}".'
            )
        if spec.crc32c is not None and spec.crc32c != blob.crc32c:
            raise errors.invalid(
                f'Provided CRC32C "{spec.crc32c}" doesn\'t match calculated CRC32C "{blob.crc32c}".'
            )
        store.check_generation_match(spec.bucket, spec.name, spec.if_generation_match)
        return store.put(
            spec.bucket, spec.name, blob, content_type=spec.content_type, extra=spec.extra
        )
    except BaseException:
        blob.release()
        raise


@dataclass(frozen=True)
class ContentRange:
    """A chunk's ``Content-Range``; ``first``/``last`` are ``None`` for a status query."""

    first: int | None
    last: int | None
    total: int | None

    @property
    def length(self) -> int:
        """Bytes in the chunk."""
        return 0 if self.first is None or self.last is None else self.last - self.first + 1


def parse_content_range(header: str | None, body_length: int | None) -> ContentRange:
    """``bytes A-B/T``, ``bytes A-B/*``, ``bytes */T`` or ``bytes */*``.

    Without the header the body is the whole object.
    """
    if header is None:
        if body_length is None:
            raise errors.invalid("A resumable upload chunk needs a Content-Range header.")
        if body_length == 0:
            return ContentRange(None, None, 0)
        return ContentRange(0, body_length - 1, body_length)
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        raise errors.invalid(f"Failed to parse Content-Range header: {header!r}.")
    first, last, total = found.groups()
    chunk = ContentRange(
        None if first is None else int(first),
        None if last is None else int(last),
        None if total == "*" else int(total),
    )
    if chunk.first is not None and chunk.last is not None and chunk.last < chunk.first:
        raise errors.invalid(f"Invalid Content-Range {header!r}: the range is empty.")
    if chunk.total is not None and chunk.last is not None and chunk.last >= chunk.total:
        raise errors.invalid(f"Invalid Content-Range {header!r}: the range ends past the total.")
    return chunk


@dataclass
class UploadSession:
    """One resumable upload in progress."""

    spec: ObjectSpec
    writer: BlobWriter
    total: int | None = None
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: The object once the upload finished (later status queries answer it again).
    result: StoredObject | None = None

    @property
    def received(self) -> int:
        """Bytes received so far."""
        return self.writer.size

    def agree_total(self, total: int | None) -> None:
        """Take the total a chunk declares; it must not contradict an earlier one."""
        if total is None:
            return
        if self.total is not None and total != self.total:
            raise errors.invalid(
                f"The upload was declared as {self.total} bytes; a chunk now says {total}."
            )
        if total < self.received:
            raise errors.invalid(
                f"The upload already has {self.received} bytes, more than the total {total}."
            )
        self.total = total


def _check_chunk(session: UploadSession, chunk: ContentRange, declared_length: int | None) -> None:
    assert chunk.first is not None
    assert chunk.last is not None
    if chunk.first > session.received:
        raise errors.invalid(
            f"The chunk starts at byte {chunk.first}, but only {session.received} bytes have "
            f"arrived; resume from byte {session.received}."
        )
    if declared_length is not None and declared_length != chunk.length:
        raise errors.invalid(
            f"Content-Range covers {chunk.length} bytes but the body has {declared_length}."
        )
    final = session.total is not None and chunk.last + 1 == session.total
    if not final and chunk.length % CHUNK_GRANULARITY:
        raise errors.invalid(
            "Invalid request. The number of bytes uploaded is required to be equal or greater "
            f"than {CHUNK_GRANULARITY}, except for the final request (it's recommended to be the "
            f"exact multiple of {CHUNK_GRANULARITY}). The received request contained "
            f"{chunk.length} bytes, which does not meet this requirement."
        )


async def receive_chunk(
    session: UploadSession,
    chunk: ContentRange,
    body: AsyncIterator[bytes],
    declared_length: int | None,
) -> None:
    """Append a chunk's new bytes to the session (the caller holds ``session.lock``)."""
    session.agree_total(chunk.total)
    if chunk.first is None:
        return
    _check_chunk(session, chunk, declared_length)
    skip = session.received - chunk.first
    sink = BodySink(session.writer)
    length = 0
    try:
        async for piece in body:
            length += len(piece)
            if skip >= len(piece):
                skip -= len(piece)
                continue
            await sink.write(piece[skip:])
            skip = 0
    finally:
        await sink.flush()
    if length != chunk.length:
        raise errors.invalid(
            f"Content-Range covers {chunk.length} bytes but the body had {length}."
        )
