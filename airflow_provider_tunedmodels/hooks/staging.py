"""Staging a file in Cloud Storage, apart from the I/O: digests, names, progress, verification.

A staged object is named after its content: ``<stem>-<first 16 hex digits of the
SHA-256><suffix>`` under the destination prefix (``train.jsonl`` becomes
``train-0123456789abcdef.jsonl``). A rerun computes the same name, finds the
object with the same size and MD5, and uploads nothing.

Files up to :data:`MULTIPART_LIMIT` go in one multipart request; larger ones go
resumable, one chunk in memory at a time. The source is read twice (once for the
name, once to upload): that is the price of a name that depends on the content.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import mimetypes
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from airflow_provider_tunedmodels.core.errors import (
    ApiError,
    ChecksumMismatchError,
    InvalidRequestError,
    ServerError,
    TransportError,
    TunedModelsError,
)
from airflow_provider_tunedmodels.core.retry import RETRYABLE_STATUS_CODES, RetryPolicy
from airflow_provider_tunedmodels.hooks.storage_calls import GcsUri, UploadProgress

__all__ = [
    "CHUNK_GRANULARITY",
    "DEFAULT_CHUNK_SIZE",
    "MULTIPART_LIMIT",
    "ResumableCursor",
    "SourceDigest",
    "already_staged",
    "check_chunk_size",
    "content_type_for",
    "digest_stream",
    "read_chunk",
    "staged_uri",
    "verify_upload",
]

MIB = 1024 * 1024
#: Files up to this size are uploaded in one multipart request (as Google's client does).
MULTIPART_LIMIT = 8 * MIB
#: Every chunk of a resumable upload but the last is a multiple of this (Cloud Storage's rule).
CHUNK_GRANULARITY = 256 * 1024
#: Bytes per resumable chunk, and so the memory an upload needs.
DEFAULT_CHUNK_SIZE = 8 * MIB
#: Bytes read at a time while computing digests.
_READ_SIZE = MIB
#: Content types Python's ``mimetypes`` does not know.
_CONTENT_TYPES = {".jsonl": "application/jsonl", ".ndjson": "application/x-ndjson"}


def _crc32c_hasher() -> Any:
    """A ``google_crc32c.Checksum`` when its C version is installed (it is optional)."""
    try:
        module: Any = importlib.import_module("google_crc32c")
    except ImportError:
        return None
    return module.Checksum() if getattr(module, "implementation", "") == "c" else None


@dataclass(frozen=True)
class SourceDigest:
    """Size and checksums of a source file."""

    size: int
    #: Base64 MD5, as Cloud Storage's ``md5Hash``.
    md5: str
    #: Hex SHA-256, for the object name.
    sha256: str
    #: Base64 big-endian CRC-32C, as Cloud Storage's ``crc32c``; ``None`` without google-crc32c.
    crc32c: str | None = None


def digest_stream(stream: BinaryIO) -> SourceDigest:
    """Read ``stream`` to the end in fixed pieces; its size and checksums."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    crc = _crc32c_hasher()
    size = 0
    while piece := stream.read(_READ_SIZE):
        size += len(piece)
        md5.update(piece)
        sha256.update(piece)
        if crc is not None:
            crc.update(piece)
    return SourceDigest(
        size=size,
        md5=base64.b64encode(md5.digest()).decode("ascii"),
        sha256=sha256.hexdigest(),
        crc32c=base64.b64encode(crc.digest()).decode("ascii") if crc is not None else None,
    )


def staged_uri(prefix: GcsUri, source_name: str, digest: SourceDigest) -> GcsUri:
    """``<prefix><stem>-<sha256[:16]><suffix>``."""
    path = PurePosixPath(source_name)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return prefix.child(f"{stem}-{digest.sha256[:16]}{path.suffix}")


def content_type_for(name: str) -> str:
    """The content type of a file name (``application/octet-stream`` when unknown)."""
    suffix = PurePosixPath(name).suffix.lower()
    guessed = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


def check_chunk_size(chunk_size: int) -> None:
    """Refuse a chunk size Cloud Storage would refuse."""
    if chunk_size <= 0 or chunk_size % CHUNK_GRANULARITY:
        raise InvalidRequestError(
            "chunk_size",
            [f"{chunk_size} is not a positive multiple of {CHUNK_GRANULARITY} (256 KiB)"],
        )


def already_staged(resource: dict[str, Any] | None, digest: SourceDigest) -> bool:
    """Whether an existing object already holds exactly these bytes."""
    return (
        resource is not None
        and str(resource.get("size")) == str(digest.size)
        and resource.get("md5Hash") == digest.md5
    )


def verify_upload(resource: dict[str, Any], digest: SourceDigest, uri: GcsUri) -> None:
    """Compare the stored object with the source.

    :raises ChecksumMismatchError: naming every field that differs.
    """
    problems: list[str] = []
    if str(resource.get("size")) != str(digest.size):
        problems.append(f"size {resource.get('size')} instead of {digest.size}")
    if resource.get("md5Hash") != digest.md5:
        problems.append(f"md5Hash {resource.get('md5Hash')} instead of {digest.md5}")
    stored_crc = resource.get("crc32c")
    if digest.crc32c is not None and stored_crc is not None and stored_crc != digest.crc32c:
        problems.append(f"crc32c {stored_crc} instead of {digest.crc32c}")
    if problems:
        raise ChecksumMismatchError(str(uri), problems)


def read_chunk(stream: BinaryIO, offset: int, size: int) -> bytes:
    """Up to ``size`` bytes at ``offset`` (fewer only at the end of the stream)."""
    stream.seek(offset)
    parts: list[bytes] = []
    wanted = size
    while wanted > 0 and (piece := stream.read(wanted)):
        parts.append(piece)
        wanted -= len(piece)
    return b"".join(parts)


def _transient(error: TunedModelsError) -> bool:
    if isinstance(error, TransportError):
        return True
    return isinstance(error, ApiError) and error.http_status in RETRYABLE_STATUS_CODES


class ResumableCursor:
    """Where a resumable upload stands, and what to do after a failed chunk.

    The server's word decides the offset: after each chunk, and after a failure
    (then the session is asked, and the upload goes on from what it has). Failures
    and answers without progress count against the retry policy's attempts; a
    chunk that moves the upload forward resets the count.

    :param total: size of the upload.
    :param where: the upload's URL without secrets, for error messages.
    """

    def __init__(self, total: int, policy: RetryPolicy, where: str) -> None:
        self.total = total
        self.offset = 0
        self._policy = policy
        self._where = where
        self._setbacks = 0

    def advance(
        self, progress: UploadProgress, *, after_failure: bool = False
    ) -> dict[str, Any] | None:
        """Take the server's answer; the object once the upload is complete.

        A chunk that was accepted without moving the upload forward counts as a
        setback; after a failure (already counted) the session's answer does not.
        """
        if progress.resource is not None:
            return progress.resource
        if progress.persisted > self.offset:
            self._setbacks = 0
        elif not after_failure:
            self._count_setback(None)
        self.offset = min(progress.persisted, self.total)
        return None

    def delay_after(self, error: TunedModelsError) -> float:
        """Seconds to wait before asking the session where it stands.

        :raises TunedModelsError: ``error`` itself, when it is not transient or the
            attempts are spent.
        """
        if not _transient(error):
            raise error
        self._count_setback(error)
        return self._policy.backoff(self._setbacks)

    def _count_setback(self, error: TunedModelsError | None) -> None:
        self._setbacks += 1
        if self._setbacks < self._policy.max_attempts:
            return
        if error is not None:
            raise error
        raise ServerError(
            http_status=308,
            status="NO_PROGRESS",
            message=f"the upload session stopped accepting bytes at {self.offset}",
            method="PUT",
            url=self._where,
            attempts=self._setbacks,
        )
