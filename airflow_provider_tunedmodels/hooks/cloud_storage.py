"""Staging dataset files in Cloud Storage, where tuning jobs read them.

::

    hook = CloudStorageHook("vertex_tuning_default")
    uri = hook.stage_file("/data/train.jsonl", "gs://my-bucket/tuning/")
    # "gs://my-bucket/tuning/train-0123456789abcdef.jsonl"; a rerun uploads nothing

    uri = await hook.astage_file(ObjectStoragePath("s3://raw/train.jsonl"), "gs://my-bucket/tuning/")

The hook uses the credentials of a tuning connection (a service-account key or
Application Default Credentials) with the ``cloud-platform`` scope, and the shared
REST clients, so retries, error types and secret redaction are the same as for
the tuning APIs. How files are named, chunked and verified is described in
:mod:`~airflow_provider_tunedmodels.hooks.staging`. Every method has a blocking
form and an ``a``-prefixed async form.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

from airflow_provider_tunedmodels.core.errors import (
    ConfigurationError,
    NotFoundError,
    TunedModelsError,
)
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.data.storage import (
    Location,
    describe_location,
    open_binary,
    resolve_location,
)
from airflow_provider_tunedmodels.defaults import VERTEX_CONN_ID
from airflow_provider_tunedmodels.hooks import storage_calls as calls
from airflow_provider_tunedmodels.hooks.base import RestHook
from airflow_provider_tunedmodels.hooks.staging import (
    DEFAULT_CHUNK_SIZE,
    MULTIPART_LIMIT,
    ResumableCursor,
    SourceDigest,
    already_staged,
    check_chunk_size,
    content_type_for,
    digest_stream,
    read_chunk,
    staged_uri,
    verify_upload,
)
from airflow_provider_tunedmodels.hooks.storage_calls import GcsUri, UploadProgress

__all__ = [
    "DEFAULT_STORAGE_URL",
    "STORAGE_SCOPES",
    "STORAGE_URL_EXTRA",
    "CloudStorageHook",
    "storage_settings",
]

T = TypeVar("T")

#: Cloud Storage's root URL.
DEFAULT_STORAGE_URL = "https://storage.googleapis.com"
#: The OAuth scope requested for staging (the one a Vertex AI connection uses).
STORAGE_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/cloud-platform",)
#: Connection extra that sets Cloud Storage's root URL explicitly.
STORAGE_URL_EXTRA = "storage_url"


def storage_settings(api: ClientSettings, storage_url: str | None = None) -> ClientSettings:
    """Cloud Storage settings from a tuning connection's settings.

    Same credentials, quota project, timeout and retries, with the ``cloud-platform``
    scope. The root URL is ``storage_url`` if given; else the tuning API's own base
    URL when it is not a Google host (the bundled emulator serves both APIs at one
    address); else :data:`DEFAULT_STORAGE_URL`.

    :raises ConfigurationError: for an API key, which Cloud Storage does not accept.
    """
    if api.api_key:
        raise ConfigurationError(
            f"{api.source}: staging files in Cloud Storage needs OAuth credentials (a "
            "service-account key in key_path or keyfile_dict, or Application Default "
            "Credentials), not an API key"
        )
    if not storage_url:
        host = urlsplit(api.root_url).hostname or ""
        storage_url = DEFAULT_STORAGE_URL if host.endswith(".googleapis.com") else api.root_url
    return dataclasses.replace(
        api, base_url=storage_url, api_version="storage/v1", scopes=STORAGE_SCOPES
    )


def _without_query(url: str) -> str:
    """A session URI fit for messages: its ``upload_id`` grants upload access."""
    return url.partition("?")[0]


class CloudStorageHook(RestHook):
    """Stage files in Cloud Storage and read objects back.

    It reads a Vertex AI connection (``vertex_ai_tuning`` or ``google_cloud_platform``).

    :param conn_id: an Airflow connection of a tuning API with a service-account key
        or Application Default Credentials; its extra ``storage_url`` may set
        Cloud Storage's root URL (see :func:`storage_settings`).
    :param settings: use these Cloud Storage settings instead of a connection
        (scripts, tests); their base URL is the storage root.
    :param storage_url: Cloud Storage's root URL, overriding the connection's.
    :param chunk_size: bytes per resumable chunk, a multiple of 256 KiB; an upload
        holds one chunk in memory.
    :param multipart_limit: files up to this size go in one multipart request.
    :param transport: httpx transport for the sync client (tests).
    :param async_transport: httpx transport for the async client (tests).
    :param sleep: how to wait before resuming after a failed chunk (tests pass a recorder).
    :param async_sleep: the async twin of ``sleep``.
    """

    default_conn_name = VERTEX_CONN_ID

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        settings: ClientSettings | None = None,
        storage_url: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        multipart_limit: int = MULTIPART_LIMIT,
        transport: Any = None,
        async_transport: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if conn_id is None and settings is None:
            raise ConfigurationError(
                "CloudStorageHook needs conn_id (a tuning connection with OAuth credentials) "
                "or settings"
            )
        check_chunk_size(chunk_size)
        super().__init__(
            conn_id, settings=settings, transport=transport, async_transport=async_transport
        )
        self.chunk_size = chunk_size
        self.multipart_limit = multipart_limit
        self._storage_url = storage_url
        self._sleep = sleep
        self._async_sleep = async_sleep

    # --- connection and clients --------------------------------------------------------------

    def settings_from_connection(self, connection: Any) -> ClientSettings:
        """The Vertex AI connection's credentials (any form it accepts), aimed at storage."""
        from airflow_provider_tunedmodels.hooks.vertex_connection import vertex_settings

        extra = getattr(connection, "extra_dejson", None) or {}
        url = self._storage_url or str(extra.get(STORAGE_URL_EXTRA) or "").strip() or None
        return storage_settings(vertex_settings(connection), url)

    # --- objects -----------------------------------------------------------------------------

    def get_object(self, uri: str) -> dict[str, Any] | None:
        """The metadata of ``gs://bucket/name``, or ``None`` when it does not exist."""
        try:
            return self._run(calls.get_object(GcsUri.parse(uri)))
        except NotFoundError:
            return None

    async def aget_object(self, uri: str) -> dict[str, Any] | None:
        """Async :meth:`get_object`."""
        try:
            return await self._arun(calls.get_object(GcsUri.parse(uri)))
        except NotFoundError:
            return None

    def object_exists(self, uri: str) -> bool:
        """Whether ``gs://bucket/name`` exists."""
        return self.get_object(uri) is not None

    async def aobject_exists(self, uri: str) -> bool:
        """Async :meth:`object_exists`."""
        return await self.aget_object(uri) is not None

    def read_object(self, uri: str) -> bytes:
        """The bytes of ``gs://bucket/name`` (held in memory; meant for datasets and results)."""
        return self._run(calls.download(GcsUri.parse(uri)))

    async def aread_object(self, uri: str) -> bytes:
        """Async :meth:`read_object`."""
        return await self._arun(calls.download(GcsUri.parse(uri)))

    # --- staging -----------------------------------------------------------------------------

    def stage_file(
        self, source: Location, destination_prefix: str, *, content_type: str | None = None
    ) -> str:
        """Upload ``source`` under ``destination_prefix`` unless it is there already.

        :param source: a local path, a URI or an ``ObjectStoragePath``.
        :param destination_prefix: ``gs://bucket/`` or ``gs://bucket/some/prefix/``.
        :param content_type: default: from the file name (``.jsonl``: ``application/jsonl``).
        :return: ``gs://bucket/prefix/<stem>-<sha256[:16]><suffix>``.
        :raises ChecksumMismatchError: when the stored object is not the source's bytes.
        """
        prefix = GcsUri.parse(destination_prefix, what="destination_prefix", prefix=True)
        location = resolve_location(source)
        digest = _digest_location(location)
        target = staged_uri(prefix, location.name, digest)
        if already_staged(self.get_object(str(target)), digest):
            self.log.info("%s is staged as %s already", describe_location(location), target)
            return str(target)
        media_type = content_type or content_type_for(location.name)
        with open_binary(location) as stream:
            resource = self._upload(stream, target, digest, media_type)
        verify_upload(resource, digest, target)
        self.log.info(
            "Staged %s as %s (%d bytes)", describe_location(location), target, digest.size
        )
        return str(target)

    def _upload(
        self, stream: BinaryIO, target: GcsUri, digest: SourceDigest, content_type: str
    ) -> dict[str, Any]:
        if digest.size <= self.multipart_limit:
            data = read_chunk(stream, 0, digest.size)
            return self._run(
                calls.multipart_upload(target, data, content_type=content_type, md5=digest.md5)
            )
        session = self._run(
            calls.start_resumable_upload(
                target, size=digest.size, content_type=content_type, md5=digest.md5
            )
        )
        cursor = ResumableCursor(digest.size, self.settings.retry, _without_query(session))
        while True:
            try:
                resource = cursor.advance(self._send_next(stream, session, cursor))
            except TunedModelsError as error:
                self._sleep(cursor.delay_after(error))
                progress = self._run(calls.query_upload(session, total=digest.size))
                resource = cursor.advance(progress, after_failure=True)
            if resource is not None:
                return resource

    def _send_next(self, stream: BinaryIO, session: str, cursor: ResumableCursor) -> UploadProgress:
        if cursor.offset >= cursor.total:  # every byte is there: ask for the object
            return self._run(calls.query_upload(session, total=cursor.total))
        chunk = read_chunk(stream, cursor.offset, self.chunk_size)
        return self._run(
            calls.upload_chunk(session, chunk, offset=cursor.offset, total=cursor.total)
        )

    async def astage_file(
        self, source: Location, destination_prefix: str, *, content_type: str | None = None
    ) -> str:
        """Async :meth:`stage_file`; file reads run in worker threads."""
        prefix = GcsUri.parse(destination_prefix, what="destination_prefix", prefix=True)
        location = resolve_location(source)
        digest = await asyncio.to_thread(_digest_location, location)
        target = staged_uri(prefix, location.name, digest)
        if already_staged(await self.aget_object(str(target)), digest):
            self.log.info("%s is staged as %s already", describe_location(location), target)
            return str(target)
        media_type = content_type or content_type_for(location.name)
        stream = await asyncio.to_thread(open_binary, location)
        try:
            resource = await self._aupload(stream, target, digest, media_type)
        finally:
            await asyncio.to_thread(stream.close)
        verify_upload(resource, digest, target)
        self.log.info(
            "Staged %s as %s (%d bytes)", describe_location(location), target, digest.size
        )
        return str(target)

    async def _aupload(
        self, stream: BinaryIO, target: GcsUri, digest: SourceDigest, content_type: str
    ) -> dict[str, Any]:
        if digest.size <= self.multipart_limit:
            data = await asyncio.to_thread(read_chunk, stream, 0, digest.size)
            return await self._arun(
                calls.multipart_upload(target, data, content_type=content_type, md5=digest.md5)
            )
        session = await self._arun(
            calls.start_resumable_upload(
                target, size=digest.size, content_type=content_type, md5=digest.md5
            )
        )
        cursor = ResumableCursor(
            digest.size, (await self.asettings()).retry, _without_query(session)
        )
        while True:
            try:
                resource = cursor.advance(await self._asend_next(stream, session, cursor))
            except TunedModelsError as error:
                await self._async_sleep(cursor.delay_after(error))
                progress = await self._arun(calls.query_upload(session, total=digest.size))
                resource = cursor.advance(progress, after_failure=True)
            if resource is not None:
                return resource

    async def _asend_next(
        self, stream: BinaryIO, session: str, cursor: ResumableCursor
    ) -> UploadProgress:
        if cursor.offset >= cursor.total:
            return await self._arun(calls.query_upload(session, total=cursor.total))
        chunk = await asyncio.to_thread(read_chunk, stream, cursor.offset, self.chunk_size)
        return await self._arun(
            calls.upload_chunk(session, chunk, offset=cursor.offset, total=cursor.total)
        )


def _digest_location(location: Any) -> SourceDigest:
    """Size and checksums of a file, read once from start to end."""
    with open_binary(location) as stream:
        return digest_stream(stream)
