"""The staging hook's requests, seen through respx: shapes, resumption, verification, errors."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from airflow_provider_tunedmodels.core.errors import (
    ChecksumMismatchError,
    ConfigurationError,
    InvalidArgumentError,
    InvalidRequestError,
    UnavailableError,
)
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.cloud_storage import (
    DEFAULT_STORAGE_URL,
    STORAGE_SCOPES,
    CloudStorageHook,
    storage_settings,
)

STORAGE = "https://storage.test"
TOKEN_URI = "https://oauth2.test/token"
TOKEN = "ya29.unit-test-access-token"
UPLOAD_ID = "secret-upload-id-0123456789"
SESSION = f"{STORAGE}/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id={UPLOAD_ID}"
CHUNK = 256 * 1024


@pytest.fixture(scope="module")
def key_info() -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "demo",
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": "stager@demo.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": TOKEN_URI,
    }


@pytest.fixture
def settings(key_info: dict[str, Any]) -> ClientSettings:
    return ClientSettings(
        base_url=STORAGE,
        service_account_info=key_info,
        scopes=STORAGE_SCOPES,
        retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
    )


@pytest.fixture
def gcs() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URI).respond(
            json={"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        )
        yield router


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def hook(settings: ClientSettings, sleeps: list[float]) -> Iterator[CloudStorageHook]:
    hook = CloudStorageHook(
        settings=settings, chunk_size=CHUNK, multipart_limit=CHUNK, sleep=sleeps.append
    )
    yield hook
    hook.close()


def md5_of(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def resource(name: str, data: bytes, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "bucket": "bkt",
        "size": str(len(data)),
        "md5Hash": md5_of(data),
        **changes,
    }


def staged_name(stem: str, data: bytes, suffix: str = ".jsonl") -> str:
    return f"tuning/{stem}-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


def object_url(name: str) -> str:
    return f"{STORAGE}/storage/v1/b/bkt/o/{name.replace('/', '%2F')}"


class FakeSession:
    """A resumable session that keeps what it receives; ``fail_on`` scripts answers."""

    def __init__(self, name: str, total: int, fail_on: dict[int, httpx.Response] | None = None):
        self.name = name
        self.total = total
        self.data = bytearray()
        self.ranges: list[str] = []
        self.fail_on = fail_on or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        content_range = request.headers["content-range"]
        self.ranges.append(content_range)
        failure = self.fail_on.pop(len(self.ranges), None)
        if failure is not None:
            return failure
        found = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
        if found:
            first = int(found.group(1))
            self.data[first:] = request.content
        if len(self.data) == self.total:
            return httpx.Response(200, json=resource(self.name, bytes(self.data)))
        headers = {"range": f"bytes=0-{len(self.data) - 1}"} if self.data else {}
        return httpx.Response(308, headers=headers)


def test_small_file_is_one_multipart_request(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    data = b'{"text_input": "1", "output": "2"}\n' * 10
    source = tmp_path / "train.jsonl"
    source.write_bytes(data)
    name = staged_name("train", data)
    gcs.get(object_url(name)).respond(
        404, json={"error": {"code": 404, "message": "No such object"}}
    )
    upload = gcs.post(f"{STORAGE}/upload/storage/v1/b/bkt/o").respond(json=resource(name, data))

    assert hook.stage_file(source, "gs://bkt/tuning/") == f"gs://bkt/{name}"

    request = upload.calls.last.request
    assert request.url.params["uploadType"] == "multipart"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    content_type = request.headers["content-type"]
    boundary = re.fullmatch(r'multipart/related; boundary="(.+)"', content_type).group(1)
    parts = request.content.split(f"--{boundary}".encode())
    assert parts[-1] == b"--\r\n"
    metadata = json.loads(parts[1].split(b"\r\n\r\n", 1)[1])
    assert metadata == {"name": name, "contentType": "application/jsonl", "md5Hash": md5_of(data)}
    head, media = parts[2].split(b"\r\n\r\n", 1)
    assert b"content-type: application/jsonl" in head
    assert media == data + b"\r\n"


def test_rerun_finds_the_object_and_uploads_nothing(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    data = b"same bytes\n"
    source = tmp_path / "train.jsonl"
    source.write_bytes(data)
    name = staged_name("train", data)
    gcs.get(object_url(name)).respond(json=resource(name, data))
    upload = gcs.post(f"{STORAGE}/upload/storage/v1/b/bkt/o")
    assert hook.stage_file(str(source), "gs://bkt/tuning") == f"gs://bkt/{name}"
    assert not upload.called


def test_an_object_with_other_bytes_is_replaced(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    data = b"new bytes\n"
    source = tmp_path / "train.jsonl"
    source.write_bytes(data)
    name = staged_name("train", data)
    gcs.get(object_url(name)).respond(json=resource(name, b"old bytes!"))
    upload = gcs.post(f"{STORAGE}/upload/storage/v1/b/bkt/o").respond(json=resource(name, data))
    hook.stage_file(source, "gs://bkt/tuning/")
    assert upload.call_count == 1


def _large_source(tmp_path: Path, size: int = 2 * CHUNK + 1234) -> tuple[Path, bytes, str]:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    source = tmp_path / "large.jsonl"
    source.write_bytes(data)
    return source, data, staged_name("large", data)


def _start(gcs: respx.MockRouter, name: str, session: FakeSession) -> respx.Route:
    gcs.get(object_url(name)).respond(
        404, json={"error": {"code": 404, "message": "No such object"}}
    )
    start = gcs.post(f"{STORAGE}/upload/storage/v1/b/bkt/o").respond(
        200, headers={"location": SESSION}
    )
    gcs.put(f"{STORAGE}/upload/storage/v1/b/bkt/o").mock(side_effect=session)
    return start


def test_large_file_goes_resumable_in_chunks(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    source, data, name = _large_source(tmp_path)
    session = FakeSession(name, len(data))
    start = _start(gcs, name, session)

    assert hook.stage_file(source, "gs://bkt/tuning/") == f"gs://bkt/{name}"

    request = start.calls.last.request
    assert request.url.params["uploadType"] == "resumable"
    assert request.headers["x-upload-content-length"] == str(len(data))
    assert request.headers["x-upload-content-type"] == "application/jsonl"
    assert json.loads(request.content) == {
        "name": name,
        "contentType": "application/jsonl",
        "md5Hash": md5_of(data),
    }
    total = len(data)
    assert session.ranges == [
        f"bytes 0-{CHUNK - 1}/{total}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{total}",
        f"bytes {2 * CHUNK}-{total - 1}/{total}",
    ]
    assert bytes(session.data) == data


def test_a_failed_chunk_resumes_from_what_the_session_has(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path, sleeps: list[float]
) -> None:
    source, data, name = _large_source(tmp_path)
    unavailable = httpx.Response(503, json={"error": {"code": 503, "message": "Backend Error"}})
    session = FakeSession(name, len(data), fail_on={2: unavailable})
    _start(gcs, name, session)

    def keep_part_of_the_failed_chunk(request: httpx.Request) -> httpx.Response:
        if len(session.ranges) == 2:  # before the status query: the server kept 300,000 bytes
            session.data[:] = data[:300_000]
        return session(request)

    gcs.put(f"{STORAGE}/upload/storage/v1/b/bkt/o").mock(side_effect=keep_part_of_the_failed_chunk)

    hook.stage_file(source, "gs://bkt/tuning/")

    total = len(data)
    assert session.ranges == [
        f"bytes 0-{CHUNK - 1}/{total}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{total}",
        f"bytes */{total}",
        f"bytes 300000-{total - 1}/{total}",
    ]
    assert bytes(session.data) == data
    assert sleeps == [0.0]


def test_chunk_failures_are_bounded_and_never_show_the_session_id(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    source, data, name = _large_source(tmp_path)
    unavailable = httpx.Response(503, json={"error": {"code": 503, "message": "Backend Error"}})
    session = FakeSession(name, len(data), fail_on={n: unavailable for n in (1, 3, 5)})
    _start(gcs, name, session)
    with pytest.raises(UnavailableError) as raised:
        hook.stage_file(source, "gs://bkt/tuning/")
    assert UPLOAD_ID not in str(raised.value)
    assert raised.value.url == f"{STORAGE}/upload/storage/v1/b/bkt/o"


def test_a_refused_chunk_is_not_retried(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path, sleeps: list[float]
) -> None:
    source, data, name = _large_source(tmp_path)
    refused = httpx.Response(400, json={"error": {"code": 400, "message": "Invalid request"}})
    session = FakeSession(name, len(data), fail_on={1: refused})
    _start(gcs, name, session)
    with pytest.raises(InvalidArgumentError) as raised:
        hook.stage_file(source, "gs://bkt/tuning/")
    assert UPLOAD_ID not in str(raised.value)
    assert (len(session.ranges), sleeps) == (1, [])


def test_a_stored_object_that_differs_is_an_error(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    data = b"payload\n"
    source = tmp_path / "train.jsonl"
    source.write_bytes(data)
    name = staged_name("train", data)
    gcs.get(object_url(name)).respond(404, json={"error": {"code": 404, "message": "none"}})
    gcs.post(f"{STORAGE}/upload/storage/v1/b/bkt/o").respond(
        json=resource(name, data, md5Hash=md5_of(b"other"), size="3")
    )
    with pytest.raises(ChecksumMismatchError) as raised:
        hook.stage_file(source, "gs://bkt/tuning/")
    assert raised.value.url == f"gs://bkt/{name}"
    assert len(raised.value.problems) == 2


def test_bad_destinations_fail_before_any_request(
    hook: CloudStorageHook, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    source = tmp_path / "train.jsonl"
    source.write_bytes(b"x")
    with pytest.raises(InvalidRequestError) as raised:
        hook.stage_file(source, "s3://Bad_Bucket/prefix/")
    assert len(raised.value.problems) == 2
    assert "gs://" in raised.value.problems[0]
    assert "Bad_Bucket" in raised.value.problems[1]
    assert not [call for call in gcs.calls if "storage.test" in str(call.request.url)]
    with pytest.raises(InvalidRequestError):
        CloudStorageHook(settings=hook.settings, chunk_size=1000)


def test_read_and_exists(hook: CloudStorageHook, gcs: respx.MockRouter) -> None:
    gcs.get(object_url("a/b.jsonl"), params={"alt": "media"}).respond(content=b"bytes")
    gcs.get(object_url("a/b.jsonl")).respond(json=resource("a/b.jsonl", b"bytes"))
    gcs.get(object_url("missing")).respond(404, json={"error": {"code": 404, "message": "none"}})
    assert hook.read_object("gs://bkt/a/b.jsonl") == b"bytes"
    assert hook.object_exists("gs://bkt/a/b.jsonl")
    assert not hook.object_exists("gs://bkt/missing")
    assert hook.get_object("gs://bkt/missing") is None


async def test_async_resumable_and_reads(
    settings: ClientSettings, gcs: respx.MockRouter, tmp_path: Path
) -> None:
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)

    source, data, name = _large_source(tmp_path)
    unavailable = httpx.Response(503, json={"error": {"code": 503, "message": "Backend Error"}})
    session = FakeSession(name, len(data), fail_on={2: unavailable})
    _start(gcs, name, session)
    hook = CloudStorageHook(
        settings=settings, chunk_size=CHUNK, multipart_limit=CHUNK, async_sleep=record
    )
    try:
        assert await hook.astage_file(source, "gs://bkt/tuning/") == f"gs://bkt/{name}"
        assert bytes(session.data) == data
        assert session.ranges[2] == f"bytes */{len(data)}"
        assert waits == [0.0]
        gcs.get(object_url(name)).respond(json=resource(name, data))
        assert await hook.aobject_exists(f"gs://bkt/{name}")
        assert await hook.astage_file(source, "gs://bkt/tuning/") == f"gs://bkt/{name}"
        assert len(session.ranges) == 5  # the rerun sent nothing
    finally:
        await hook.aclose()


def test_storage_settings(key_info: dict[str, Any]) -> None:
    vertex = ClientSettings(
        base_url="https://us-central1-aiplatform.googleapis.com",
        service_account_info=key_info,
        scopes=("https://www.googleapis.com/auth/generative-language.tuning",),
        quota_project_id="billing",
    )
    derived = storage_settings(vertex)
    assert derived.base_url == DEFAULT_STORAGE_URL
    assert derived.scopes == STORAGE_SCOPES
    assert (derived.service_account_info, derived.quota_project_id) == (key_info, "billing")
    emulator = ClientSettings(base_url="http://127.0.0.1:8089", service_account_info=key_info)
    assert storage_settings(emulator).base_url == "http://127.0.0.1:8089"
    assert storage_settings(vertex, "http://localhost:9000").base_url == "http://localhost:9000"
    with pytest.raises(ConfigurationError, match="not an API key"):
        storage_settings(ClientSettings(base_url=STORAGE, api_key="AIza-secret-key"))
    with pytest.raises(ConfigurationError, match="conn_id"):
        CloudStorageHook()
