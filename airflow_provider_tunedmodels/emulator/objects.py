"""Cloud Storage objects kept in memory, for the APIs that read ``gs://`` URIs.

Vertex AI tuning jobs read their datasets from Cloud Storage. Until a Cloud
Storage API is served, the emulator keeps objects in this dictionary, seeded
through the control API (``PUT /_emulator/objects``) or
:meth:`~airflow_provider_tunedmodels.emulator.testing.RunningEmulator.put_object`.
Readers go through :attr:`ServerContext.read_object
<airflow_provider_tunedmodels.emulator.context.ServerContext.read_object>`, so
another store can take over by replacing that one callable.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["STATE_SECTION", "ObjectStore", "check_gcs_uri"]

#: Name of the objects' section in the state file.
STATE_SECTION = "objects"


def check_gcs_uri(uri: str) -> str:
    """``uri`` if it names an object (``gs://bucket/name``), else a ``ValueError``."""
    bucket, _, name = uri.removeprefix("gs://").partition("/")
    if not uri.startswith("gs://") or not bucket or not name:
        raise ValueError(f"{uri!r} is not a Cloud Storage object URI (gs://bucket/object)")
    return uri


class ObjectStore:
    """``gs://`` URI -> bytes, persisted in the ``objects`` state section."""

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}

    def put(self, uri: str, data: bytes) -> None:
        """Store (or replace) the object at ``uri``."""
        self._objects[check_gcs_uri(uri)] = bytes(data)

    def read_object(self, uri: str) -> bytes | None:
        """The object's bytes, or ``None`` when there is no such object."""
        return self._objects.get(uri)

    # -- state section ----------------------------------------------------------

    def reset(self) -> None:
        """Forget every object."""
        self._objects.clear()

    def dump(self) -> dict[str, Any]:
        """The objects as state-file data (base64)."""
        return {uri: base64.b64encode(data).decode() for uri, data in self._objects.items()}

    def restore(self, data: dict[str, Any]) -> None:
        """Load the objects of a state file."""
        self._objects = {uri: base64.b64decode(text) for uri, text in data.items()}
