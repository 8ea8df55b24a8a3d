"""JSON resources of the storage API: ``storage#object`` and ``storage#bucket``.

64-bit numbers (``size``, ``generation``, ``metageneration``) are strings, as in
every JSON API. ``mediaLink`` and ``selfLink`` point at the server that answered,
because Google's client downloads from ``mediaLink`` exactly as given.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from airflow_provider_tunedmodels.emulator.gcs.store import Bucket, StoredObject

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "EDITABLE_FIELDS",
    "bucket_resource",
    "object_resource",
    "timestamp",
]

#: Content type of an object uploaded without one.
DEFAULT_CONTENT_TYPE = "application/octet-stream"
#: Object fields a client may set at upload; they are shown back as given.
EDITABLE_FIELDS = (
    "cacheControl",
    "contentDisposition",
    "contentEncoding",
    "contentLanguage",
    "metadata",
    "customTime",
)


def timestamp(seconds: float) -> str:
    """RFC 3339 with milliseconds, as Cloud Storage writes it."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _etag(generation: int) -> str:
    return base64.b64encode(f"{generation}:1".encode()).decode().rstrip("=")


def object_resource(stored: StoredObject, base_url: str) -> dict[str, Any]:
    """The ``storage#object`` resource of ``stored``."""
    encoded = quote(stored.name, safe="")
    path = f"b/{stored.bucket}/o/{encoded}"
    created = timestamp(stored.created)
    resource: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{stored.bucket}/{stored.name}/{stored.generation}",
        "selfLink": f"{base_url}/storage/v1/{path}",
        "mediaLink": f"{base_url}/download/storage/v1/{path}?generation={stored.generation}&alt=media",
        "name": stored.name,
        "bucket": stored.bucket,
        "generation": str(stored.generation),
        "metageneration": "1",
        "contentType": stored.content_type,
        "storageClass": "STANDARD",
        "size": str(stored.blob.size),
        "md5Hash": stored.blob.md5,
        "crc32c": stored.blob.crc32c,
        "etag": _etag(stored.generation),
        "timeCreated": created,
        "updated": created,
        "timeStorageClassUpdated": created,
    }
    resource.update({key: value for key, value in stored.extra.items() if value is not None})
    return resource


def bucket_resource(bucket: Bucket, base_url: str) -> dict[str, Any]:
    """The ``storage#bucket`` resource of ``bucket``."""
    created = timestamp(bucket.created)
    return {
        "kind": "storage#bucket",
        "id": bucket.name,
        "selfLink": f"{base_url}/storage/v1/b/{bucket.name}",
        "name": bucket.name,
        "projectNumber": _project_number(bucket.project),
        "metageneration": "1",
        "location": "US",
        "locationType": "multi-region",
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "timeCreated": created,
        "updated": created,
    }


def _project_number(project: str) -> str:
    """A stable 12-digit number for a project id (the emulator has no project registry)."""
    if project.isdigit():
        return project
    return str(int.from_bytes(project.encode(), "big") % 10**12).zfill(12)
