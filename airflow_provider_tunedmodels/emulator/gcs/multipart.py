"""Reading request bodies: plain media, and ``multipart/related`` uploads, as a stream.

A multipart upload is two parts: the object's JSON metadata, then its media. The
metadata is small and read whole (up to a bound); the media is handed on as it
arrives, so a large multipart upload needs no more memory than a small one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from airflow_provider_tunedmodels.emulator.gcs import errors
from airflow_provider_tunedmodels.emulator.gcs.blobs import BlobWriter
from airflow_provider_tunedmodels.emulator.gcs.config import MIB

__all__ = ["BodySink", "parse_metadata", "read_multipart", "split_content_type"]

#: Largest JSON metadata part, and largest block of part headers.
METADATA_LIMIT = MIB
HEADERS_LIMIT = 64 * 1024
#: Bytes gathered before they are written (in a worker thread) to the blob.
WRITE_BATCH = MIB

Sink = Callable[[bytes], Awaitable[None]]


class BodySink:
    """Writes received bytes to a :class:`BlobWriter` in batches, off the event loop."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer
        self._batch = bytearray()

    async def write(self, data: bytes) -> None:
        """Queue ``data``; a full batch is written at once."""
        self._batch += data
        if len(self._batch) >= WRITE_BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write what is queued."""
        if self._batch:
            data, self._batch = bytes(self._batch), bytearray()
            await asyncio.to_thread(self.writer.write, data)


def split_content_type(header: str) -> tuple[str, dict[str, str]]:
    """``multipart/related; boundary="x"`` -> ``("multipart/related", {"boundary": "x"})``."""
    kind, *parameters = header.split(";")
    values: dict[str, str] = {}
    for parameter in parameters:
        key, _, value = parameter.strip().partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[key.strip().lower()] = value
    return kind.strip().lower(), values


def parse_metadata(raw: bytes) -> dict[str, Any]:
    """The JSON object of an upload's metadata (an empty body is an empty object)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise errors.invalid("Metadata part is not valid JSON.") from None
    if not isinstance(value, dict):
        raise errors.invalid("Metadata part must be a JSON object.")
    return value


class _Reader:
    """Pulls a body's chunks into a buffer and cuts it at markers."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    async def _more(self) -> None:
        try:
            self._buffer += await anext(self._chunks)
        except StopAsyncIteration:
            raise errors.invalid("Malformed multipart body: it ends too early.") from None

    async def read_until(self, marker: bytes, limit: int, what: str) -> bytes:
        """The bytes before ``marker``; both are consumed."""
        searched = 0
        while (index := self._buffer.find(marker, searched)) < 0:
            if len(self._buffer) > limit:
                raise errors.invalid(f"Malformed multipart body: the {what} is too large.")
            searched = max(0, len(self._buffer) - len(marker) + 1)
            await self._more()
        data = bytes(self._buffer[:index])
        del self._buffer[: index + len(marker)]
        return data

    async def pipe_until(self, marker: bytes, sink: Sink) -> None:
        """Hand the bytes before ``marker`` to ``sink`` as they come; both are consumed."""
        keep = len(marker) - 1
        while (index := self._buffer.find(marker)) < 0:
            if len(self._buffer) > keep:
                cut = len(self._buffer) - keep
                await sink(bytes(self._buffer[:cut]))
                del self._buffer[:cut]
            await self._more()
        await sink(bytes(self._buffer[:index]))
        del self._buffer[: index + len(marker)]

    async def peek(self, size: int) -> bytes:
        """The next ``size`` bytes, left in place."""
        while len(self._buffer) < size:
            await self._more()
        return bytes(self._buffer[:size])


def _part_content_type(block: bytes) -> str | None:
    for line in block.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            return value.strip()
    return None


async def _part_headers(reader: _Reader) -> str | None:
    """Read one part's header block (right after a delimiter); its content type."""
    if await reader.peek(2) == b"--":
        raise errors.invalid("Malformed multipart body: expected a metadata part and a media part.")
    return _part_content_type(await reader.read_until(b"\r\n\r\n", HEADERS_LIMIT, "part header"))


async def read_multipart(
    chunks: AsyncIterator[bytes], boundary: str, sink: Sink
) -> tuple[dict[str, Any], str | None]:
    """Read a ``multipart/related`` upload; ``(metadata, media content type)``.

    The media goes to ``sink``; whatever follows the closing delimiter is ignored.
    """
    if not boundary:
        raise errors.invalid("Multipart upload requires a boundary in its Content-Type.")
    reader = _Reader(chunks)
    delimiter = b"--" + boundary.encode("latin-1")
    await reader.read_until(delimiter, HEADERS_LIMIT, "preamble")
    await _part_headers(reader)
    metadata = parse_metadata(
        await reader.read_until(b"\r\n" + delimiter, METADATA_LIMIT, "metadata part")
    )
    media_type = await _part_headers(reader)
    await reader.pipe_until(b"\r\n" + delimiter, sink)
    if await reader.peek(2) != b"--":
        raise errors.invalid("Multipart upload must have exactly two parts: metadata and media.")
    return metadata, media_type
