"""The storage routes and their handlers.

Route ids are the JSON API's method ids (``storage.objects.insert``...), plus
``storage.objects.uploadChunk`` and ``storage.objects.cancelUpload`` for the
``PUT`` and ``DELETE`` of a resumable session; fault rules select them like any
other route. Object names are one ``%2F``-encoded path segment; the ASGI
``path`` is already decoded, so the name is taken from ``raw_path``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import ClientDisconnect, Request

from airflow_provider_tunedmodels.emulator.gcs import downloads, errors
from airflow_provider_tunedmodels.emulator.gcs.blobs import BlobWriter
from airflow_provider_tunedmodels.emulator.gcs.listing import list_objects, parse_max_results
from airflow_provider_tunedmodels.emulator.gcs.multipart import (
    BodySink,
    parse_metadata,
    read_multipart,
    split_content_type,
)
from airflow_provider_tunedmodels.emulator.gcs.resources import bucket_resource, object_resource
from airflow_provider_tunedmodels.emulator.gcs.store import ObjectStore, StoredObject
from airflow_provider_tunedmodels.emulator.gcs.uploads import (
    ObjectSpec,
    UploadSession,
    finish_upload,
    object_spec,
    parse_content_range,
    receive_chunk,
)
from airflow_provider_tunedmodels.emulator.responses import Reply, json_reply
from airflow_provider_tunedmodels.emulator.router import Access

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.router import Call, Router

__all__ = ["READ_SCOPES", "STORAGE_ACCESS", "WRITE_SCOPES", "StorageApi"]

#: OAuth scopes that allow changing buckets and objects.
WRITE_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/devstorage.full_control",
        "https://www.googleapis.com/auth/devstorage.read_write",
    }
)
#: OAuth scopes that allow reading them.
READ_SCOPES = WRITE_SCOPES | {
    "https://www.googleapis.com/auth/cloud-platform.read-only",
    "https://www.googleapis.com/auth/devstorage.read_only",
}

Handler = Callable[["Call"], Awaitable[Reply]]
#: Cloud Storage takes OAuth tokens only, with a storage or cloud-platform scope.
STORAGE_ACCESS = Access(WRITE_SCOPES, READ_SCOPES, api_keys=False, service="storage.googleapis.com")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _object_name(call: Call) -> str:
    """The object name exactly as encoded in the request path."""
    raw = call.request.scope.get("raw_path")
    if not raw:
        return call.params["object"]
    path = raw.decode("latin-1").partition("?")[0]
    return unquote(path.partition(f"/b/{call.params['bucket']}/o/")[2])


def _byte_count(value: str | None) -> int | None:
    """A ``Content-Length``-like header (at most 19 digits), or ``None``."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    return int(value)


class StorageApi:
    """Handlers of the storage routes over one :class:`ObjectStore`."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def register(self, router: Router) -> None:
        """Add every storage route to the emulator's router."""
        base = "/storage/v1/b"
        one = f"{base}/{{bucket}}/o/{{object=**}}"
        uploads = "/upload/storage/v1/b/{bucket}/o"  # also the resumable session URIs
        routes: list[tuple[str, str, str, Handler, bool]] = [
            ("GET", one, "storage.objects.get", self._get_object, False),
            ("GET", f"/download{one}", "storage.objects.get", self._download, False),
            ("GET", f"{base}/{{bucket}}/o", "storage.objects.list", self._list_objects, False),
            ("DELETE", one, "storage.objects.delete", self._delete_object, True),
            ("POST", uploads, "storage.objects.insert", self._insert, True),
            ("PUT", uploads, "storage.objects.uploadChunk", self._chunk, True),
            ("DELETE", uploads, "storage.objects.cancelUpload", self._cancel, True),
            ("POST", base, "storage.buckets.insert", self._create_bucket, True),
            ("GET", base, "storage.buckets.list", self._list_buckets, False),
            ("GET", f"{base}/{{bucket}}", "storage.buckets.get", self._get_bucket, False),
            ("DELETE", f"{base}/{{bucket}}", "storage.buckets.delete", self._delete_bucket, True),
        ]
        for method, template, route_id, handler, write in routes:
            router.add(method, template, route_id, handler, write=write, access=STORAGE_ACCESS)

    # -- buckets ----------------------------------------------------------------

    async def _create_bucket(self, call: Call) -> Reply:
        project = call.query.get("project")
        if not project:
            raise errors.required("parameter: project")
        body = parse_metadata(await call.body(too_large=errors.invalid))
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise errors.required("field: name")
        bucket = self.store.create_bucket(name, project)
        return json_reply(bucket_resource(bucket, _base_url(call.request)))

    async def _get_bucket(self, call: Call) -> Reply:
        bucket = self.store.bucket(call.params["bucket"])
        return json_reply(bucket_resource(bucket, _base_url(call.request)))

    async def _list_buckets(self, call: Call) -> Reply:
        project = call.query.get("project")
        if not project:
            raise errors.required("parameter: project")
        base_url = _base_url(call.request)
        items = [
            bucket_resource(bucket, base_url)
            for bucket in sorted(self.store.buckets.values(), key=lambda b: b.name)
            if bucket.project == project
        ]
        return json_reply({"kind": "storage#buckets", **({"items": items} if items else {})})

    async def _delete_bucket(self, call: Call) -> Reply:
        self.store.delete_bucket(call.params["bucket"])
        return Reply(body=b"", status=204)

    # -- objects ----------------------------------------------------------------

    def _object_reply(self, call: Call, stored: StoredObject) -> Reply:
        return json_reply(object_resource(stored, _base_url(call.request)))

    async def _get_object(self, call: Call) -> Reply:
        if call.query.get("alt") == "media":
            return await self._download(call)
        name = _object_name(call)
        stored = self.store.get(call.params["bucket"], name, call.query.get("generation"))
        return self._object_reply(call, stored)

    async def _download(self, call: Call) -> Reply:
        name = _object_name(call)
        stored = self.store.get(call.params["bucket"], name, call.query.get("generation"))
        return downloads.media_reply(stored, call.request.headers.get("range"))

    async def _delete_object(self, call: Call) -> Reply:
        self.store.delete(call.params["bucket"], _object_name(call))
        return Reply(body=b"", status=204)

    async def _list_objects(self, call: Call) -> Reply:
        bucket = self.store.bucket(call.params["bucket"])
        page = list_objects(
            bucket,
            prefix=call.query.get("prefix", ""),
            delimiter=call.query.get("delimiter", ""),
            page_token=call.query.get("pageToken") or None,
            max_results=parse_max_results(call.query.get("maxResults")),
        )
        base_url = _base_url(call.request)
        out: dict[str, object] = {"kind": "storage#objects"}
        if page.items:
            out["items"] = [object_resource(stored, base_url) for stored in page.items]
        if page.prefixes:
            out["prefixes"] = page.prefixes
        if page.next_page_token:
            out["nextPageToken"] = page.next_page_token
        return json_reply(out)

    # -- uploads ----------------------------------------------------------------

    async def _insert(self, call: Call) -> Reply:
        bucket = self.store.bucket(call.params["bucket"]).name
        upload_type = call.query.get("uploadType")
        if upload_type == "media":
            spec = object_spec(bucket, {}, call.query, call.request.headers.get("content-type"))
            return self._object_reply(call, await self._receive_media(call, spec))
        if upload_type == "multipart":
            return self._object_reply(call, await self._receive_multipart(call, bucket))
        if upload_type == "resumable":
            return await self._start_session(call, bucket)
        raise errors.invalid(
            "Upload requests must include an uploadType URL parameter and a URL-encoded "
            "object name."
        )

    async def _receive_media(self, call: Call, spec: ObjectSpec) -> StoredObject:
        self.store.check_generation_match(spec.bucket, spec.name, spec.if_generation_match)
        writer = self.store.space.writer()
        sink = BodySink(writer)
        try:
            async for piece in call.request.stream():
                await sink.write(piece)
            await sink.flush()
        except BaseException:
            writer.discard()
            raise
        return finish_upload(self.store, spec, writer)

    async def _receive_multipart(self, call: Call, bucket: str) -> StoredObject:
        kind, parameters = split_content_type(call.request.headers.get("content-type", ""))
        if not kind.startswith("multipart/"):
            raise errors.invalid("A multipart upload needs a multipart/related Content-Type.")
        writer: BlobWriter = self.store.space.writer()
        sink = BodySink(writer)
        try:
            metadata, media_type = await read_multipart(
                call.request.stream(), parameters.get("boundary", ""), sink.write
            )
            await sink.flush()
            spec = object_spec(bucket, metadata, call.query, media_type)
        except BaseException:
            writer.discard()
            raise
        return finish_upload(self.store, spec, writer)

    async def _start_session(self, call: Call, bucket: str) -> Reply:
        metadata = parse_metadata(await call.body(too_large=errors.invalid))
        spec = object_spec(
            bucket, metadata, call.query, call.request.headers.get("x-upload-content-type")
        )
        self.store.check_generation_match(spec.bucket, spec.name, spec.if_generation_match)
        session = UploadSession(spec, self.store.space.writer())
        session.total = _byte_count(call.request.headers.get("x-upload-content-length"))
        self.store.sessions[session.session_id] = session
        location = (
            f"{_base_url(call.request)}/upload/storage/v1/b/{bucket}/o"
            f"?uploadType=resumable&upload_id={session.session_id}"
        )
        return Reply(
            body=b"",
            headers={"location": location, "x-guploader-uploadid": session.session_id},
        )

    def _session(self, call: Call) -> UploadSession:
        session_id = call.query.get("upload_id", "")
        session = self.store.sessions.get(session_id)
        if session is None or session.spec.bucket != call.params["bucket"]:
            raise errors.StorageError(404, "notFound", "No such upload session.")
        return session

    async def _chunk(self, call: Call) -> Reply:
        session = self._session(call)
        async with session.lock:
            if session.result is not None:
                return self._object_reply(call, session.result)
            declared = _byte_count(call.request.headers.get("content-length"))
            chunk = parse_content_range(call.request.headers.get("content-range"), declared)
            try:
                await receive_chunk(session, chunk, call.request.stream(), declared)
            except ClientDisconnect:
                raise errors.StorageError(
                    499, "cancelled", "The client closed the request."
                ) from None
            if session.total is not None and session.received == session.total:
                session.result = self._finish_session(session)
                return self._object_reply(call, session.result)
        headers = {"range": f"bytes=0-{session.received - 1}"} if session.received else {}
        return Reply(body=b"", status=308, headers=headers)

    def _finish_session(self, session: UploadSession) -> StoredObject:
        try:
            return finish_upload(self.store, session.spec, session.writer)
        except BaseException:
            del self.store.sessions[session.session_id]  # its bytes are gone with the failure
            raise

    async def _cancel(self, call: Call) -> Reply:
        session = self._session(call)
        del self.store.sessions[session.session_id]
        if session.result is None:
            session.writer.discard()
        return Reply(body=b"", status=499)
