"""Every Cloud Storage JSON API method the staging hook uses, described once as an :class:`ApiCall`.

The sync and async hook methods both run these descriptions, so URL layout,
query parameters, bodies and retry safety are defined in one place. Objects are
named by :class:`GcsUri` (``gs://bucket/name``).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import InvalidRequestError, ServerError

__all__ = [
    "GcsUri",
    "UploadProgress",
    "download",
    "get_object",
    "multipart_upload",
    "query_upload",
    "start_resumable_upload",
    "upload_chunk",
]

#: Bucket names: 3-63 characters of lowercase letters, digits, ``-``, ``_`` and ``.``.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_JSON_API = "storage/v1"
_UPLOAD_API = "upload/storage/v1"


@dataclass(frozen=True)
class GcsUri:
    """A Cloud Storage location: a bucket and an object name (or a name prefix)."""

    bucket: str
    name: str

    @classmethod
    def parse(cls, uri: str, *, what: str = "object URI", prefix: bool = False) -> GcsUri:
        """Read ``gs://bucket/name``; with ``prefix``, the name may be empty or end in ``/``.

        :raises InvalidRequestError: listing every problem with ``uri``.
        """
        problems: list[str] = []
        if not uri.startswith("gs://"):
            problems.append(f"{uri!r} must start with gs://")
        bucket, _, name = uri.partition("://")[2].partition("/") if "://" in uri else ("", "", "")
        if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
            problems.append(
                f"bucket {bucket!r} is not a valid bucket name (3-63 lowercase letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit)"
            )
        if not prefix and (not name or name.endswith("/")):
            problems.append(f"{uri!r} names no object (expected gs://bucket/path/name)")
        if "\n" in name or "\r" in name or len(name.encode()) > 1024:
            problems.append("the object name must be at most 1024 bytes, without line breaks")
        if problems:
            raise InvalidRequestError(what, problems)
        if prefix and name and not name.endswith("/"):
            name += "/"
        return cls(bucket, name)

    def child(self, name: str) -> GcsUri:
        """The object ``name`` under this prefix."""
        return GcsUri(self.bucket, self.name + name)

    @property
    def object_path(self) -> str:
        """``b/{bucket}/o/{name}`` with the name as one encoded segment."""
        return f"b/{self.bucket}/o/{quote(self.name, safe='')}"

    def __str__(self) -> str:
        return f"gs://{self.bucket}/{self.name}"


@dataclass(frozen=True)
class UploadProgress:
    """The state of a resumable upload: bytes the server has, and the object once complete."""

    persisted: int
    resource: dict[str, Any] | None = None


def _resource(payload: Any) -> dict[str, Any]:
    return dict(payload) if isinstance(payload, dict) else {}


def get_object(uri: GcsUri) -> ApiCall[dict[str, Any]]:
    """``objects.get``: the object's metadata."""
    return ApiCall("GET", uri.object_path, _resource, api_version=_JSON_API)


def download(uri: GcsUri) -> ApiCall[bytes]:
    """``objects.get?alt=media``: the object's bytes."""
    return ApiCall(
        "GET",
        uri.object_path,
        lambda response: bytes(response.content),
        params={"alt": "media"},
        api_version=_JSON_API,
        raw_response=True,
    )


def _multipart_body(metadata: dict[str, Any], data: bytes, content_type: str) -> tuple[bytes, str]:
    """``multipart/related``: the JSON metadata part, then the media part."""
    while True:
        boundary = f"==============={secrets.token_hex(16)}=="
        if boundary.encode() not in data:
            break
    head = (
        f"--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n"
        f"{json.dumps(metadata)}\r\n--{boundary}\r\ncontent-type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def multipart_upload(
    uri: GcsUri, data: bytes, *, content_type: str, md5: str
) -> ApiCall[dict[str, Any]]:
    """``objects.insert`` with ``uploadType=multipart``; the server checks ``md5``.

    Repeating it writes the same bytes again, so it is safe to retry.
    """
    metadata = {"name": uri.name, "contentType": content_type, "md5Hash": md5}
    body, boundary = _multipart_body(metadata, data, content_type)
    return ApiCall(
        "POST",
        f"b/{uri.bucket}/o",
        _resource,
        params={"uploadType": "multipart"},
        api_version=_UPLOAD_API,
        content=body,
        headers={"content-type": f'multipart/related; boundary="{boundary}"'},
    )


def _session_uri(response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise ServerError(
            http_status=response.status_code,
            status="NO_SESSION_URI",
            message="the resumable upload was accepted, but the answer has no Location header",
            method=response.request.method,
            url=str(response.request.url.copy_with(query=None)),
        )
    return str(location)


def start_resumable_upload(uri: GcsUri, *, size: int, content_type: str, md5: str) -> ApiCall[str]:
    """``objects.insert`` with ``uploadType=resumable``; the session URI.

    A repeat only opens another session (the first is abandoned), so it is safe to retry.
    """
    return ApiCall(
        "POST",
        f"b/{uri.bucket}/o",
        _session_uri,
        params={"uploadType": "resumable"},
        body={"name": uri.name, "contentType": content_type, "md5Hash": md5},
        api_version=_UPLOAD_API,
        headers={"x-upload-content-type": content_type, "x-upload-content-length": str(size)},
        raw_response=True,
    )


def _progress(response: httpx.Response) -> UploadProgress:
    """``308`` with ``Range: bytes=0-N`` (or none yet), or the finished object."""
    if response.status_code != 308:
        resource = _resource(response.json())
        return UploadProgress(int(resource.get("size", 0)), resource)
    found = re.fullmatch(r"bytes=0-(\d+)", response.headers.get("range", "").strip())
    return UploadProgress(int(found.group(1)) + 1 if found else 0)


def upload_chunk(
    session_uri: str, chunk: bytes, *, offset: int, total: int
) -> ApiCall[UploadProgress]:
    """A ``PUT`` of ``chunk`` at ``offset`` to a resumable session.

    Not repeated by the client: after a failure the session is asked how much it
    has, and the upload resumes from there.
    """
    last = offset + len(chunk) - 1
    return ApiCall(
        "PUT",
        "",
        _progress,
        url=session_uri,
        content=chunk,
        headers={"content-range": f"bytes {offset}-{last}/{total}"},
        idempotent=False,
        expected_statuses=frozenset({308}),
        raw_response=True,
    )


def query_upload(session_uri: str, *, total: int) -> ApiCall[UploadProgress]:
    """Ask a resumable session how many bytes it has (``Content-Range: bytes */TOTAL``)."""
    return ApiCall(
        "PUT",
        "",
        _progress,
        url=session_uri,
        content=b"",
        headers={"content-range": f"bytes */{total}"},
        expected_statuses=frozenset({308}),
        raw_response=True,
    )
