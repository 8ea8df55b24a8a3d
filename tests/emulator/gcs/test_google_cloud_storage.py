"""Google's ``google-cloud-storage`` client against the emulator, unchanged.

The client checks more than a hand-written test would: absolute session URIs,
``308`` without ``Location``, the final ``200``, ``crc32c``/``md5Hash`` of the
answer, ``mediaLink`` and ``x-goog-hash`` on downloads.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from google.api_core import exceptions as core_exceptions
    from google.cloud import storage

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
MIB = 1024 * 1024


class RecordingSession(AuthorizedSession):
    """An authorised session that remembers each request's method and URL."""

    def __init__(self, credentials: Any) -> None:
        super().__init__(credentials)
        self.trust_env = False
        self.seen: list[tuple[str, str]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.seen.append((method, url))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def session(emulator: RunningEmulator) -> Iterator[RecordingSession]:
    credentials = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), scopes=[CLOUD_PLATFORM]
    )
    recording = RecordingSession(credentials)
    yield recording
    recording.close()


@pytest.fixture
def client(emulator: RunningEmulator, session: RecordingSession) -> storage.Client:
    return storage.Client(
        project="demo",
        credentials=session.credentials,
        _http=session,
        client_options={"api_endpoint": emulator.base_url},
    )


def test_small_file_goes_multipart_and_round_trips(
    client: storage.Client, session: RecordingSession
) -> None:
    bucket = client.create_bucket("official-small")
    data = b'{"contents": []}\n' * 100
    blob = bucket.blob("train/small.jsonl")
    blob.upload_from_string(data, content_type="application/jsonl")
    assert any("uploadType=multipart" in url for method, url in session.seen if method == "POST")

    metadata = bucket.get_blob("train/small.jsonl")
    assert metadata is not None
    assert (metadata.size, metadata.content_type) == (len(data), "application/jsonl")
    assert metadata.md5_hash
    assert metadata.crc32c
    assert metadata.generation
    assert metadata.download_as_bytes() == data
    assert bucket.blob("train/small.jsonl").download_as_bytes(start=2, end=9) == data[2:10]


def test_large_file_goes_resumable_in_chunks(
    client: storage.Client, session: RecordingSession
) -> None:
    bucket = client.create_bucket("official-large")
    data = os.urandom(9 * MIB + 123)
    whole = bucket.blob("big/one-request.bin")
    whole.upload_from_file(io.BytesIO(data), size=len(data))
    chunked = bucket.blob("big/chunked.bin", chunk_size=2 * MIB)
    chunked.upload_from_file(io.BytesIO(data))
    methods = [method for method, url in session.seen if "uploadType=resumable" in url]
    assert methods.count("POST") == 2
    assert methods.count("PUT") >= 1 + 5  # one for the first file, five chunks for the second

    for name in ("big/one-request.bin", "big/chunked.bin"):
        metadata = bucket.get_blob(name)
        assert metadata is not None
        assert metadata.size == len(data)
        assert metadata.download_as_bytes() == data  # the client checks x-goog-hash too


def test_listing_and_errors(client: storage.Client) -> None:
    bucket = client.create_bucket("official-list")
    for name in ("a.txt", "dir/1.txt", "dir/2.txt", "dir/sub/3.txt"):
        bucket.blob(name).upload_from_string(name)
    assert [b.name for b in client.list_blobs("official-list", page_size=1)] == [
        "a.txt",
        "dir/1.txt",
        "dir/2.txt",
        "dir/sub/3.txt",
    ]
    top = client.list_blobs("official-list", delimiter="/")
    assert [b.name for b in top] == ["a.txt"]
    assert top.prefixes == {"dir/"}
    assert [b.name for b in client.list_blobs("official-list", prefix="dir/sub/")] == [
        "dir/sub/3.txt"
    ]
    bucket.blob("a.txt").delete()
    assert not bucket.blob("a.txt").exists()
    with pytest.raises(core_exceptions.NotFound):
        client.get_bucket("no-such-bucket")
    with pytest.raises(core_exceptions.Conflict):
        client.create_bucket("official-list")
    with pytest.raises(core_exceptions.NotFound):
        bucket.blob("missing").download_as_bytes()
