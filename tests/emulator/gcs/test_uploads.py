"""Storage uploads: media, multipart and resumable, checksums and preconditions."""

from __future__ import annotations

import base64
import hashlib
import os

import google_crc32c
import httpx
import pytest

from airflow_provider_tunedmodels.emulator.server import redact
from tests.emulator.gcs.conftest import BUCKET, assert_storage_error, upload

UPLOAD = f"/upload/storage/v1/b/{BUCKET}/o"
CHUNK = 256 * 1024


def b64_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def b64_crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def multipart(metadata: str, media: bytes, media_type: str, boundary: str) -> bytes:
    return (
        (
            f"--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n"
            f"--{boundary}\r\ncontent-type: {media_type}\r\n\r\n"
        ).encode()
        + media
        + f"\r\n--{boundary}--\r\n".encode()
    )


def start_session(gcs: httpx.Client, name: str, **headers: str) -> str:
    response = gcs.post(
        UPLOAD, params={"uploadType": "resumable"}, json={"name": name}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.headers["location"]


def test_media_upload_answers_the_object(gcs: httpx.Client) -> None:
    data = b'{"text_input": "1", "output": "2"}\n'
    resource = upload(gcs, "train/part 1.jsonl", data, "application/jsonl")
    assert resource["kind"] == "storage#object"
    assert (resource["name"], resource["bucket"]) == ("train/part 1.jsonl", BUCKET)
    assert resource["size"] == str(len(data))
    assert resource["generation"].isdigit()
    assert resource["metageneration"] == "1"
    assert resource["contentType"] == "application/jsonl"
    assert resource["md5Hash"] == b64_md5(data)
    assert resource["crc32c"] == b64_crc32c(data)
    base = str(gcs.base_url).rstrip("/")
    assert resource["mediaLink"] == (
        f"{base}/download/storage/v1/b/{BUCKET}/o/train%2Fpart%201.jsonl"
        f"?generation={resource['generation']}&alt=media"
    )


def test_multipart_upload_with_quoted_boundary(gcs: httpx.Client) -> None:
    media = b"line one\r\n--not-the-boundary\r\nline two"
    body = multipart(
        '{"name": "docs/notes.txt", "metadata": {"source": "test"}}',
        media,
        "text/plain",
        "===============7330845974216740156==",
    )
    response = gcs.post(
        UPLOAD,
        params={"uploadType": "multipart"},
        content=body,
        headers={
            "content-type": 'multipart/related; boundary="===============7330845974216740156=="'
        },
    )
    assert response.status_code == 200, response.text
    resource = response.json()
    assert resource["name"] == "docs/notes.txt"
    assert resource["contentType"] == "text/plain"
    assert resource["metadata"] == {"source": "test"}
    assert resource["size"] == str(len(media))
    assert gcs.get(f"/storage/v1/b/{BUCKET}/o/docs%2Fnotes.txt?alt=media").content == media


def test_multipart_checksums_given_by_the_client_are_verified(gcs: httpx.Client) -> None:
    media = b"payload"

    def send(metadata: str) -> httpx.Response:
        return gcs.post(
            UPLOAD,
            params={"uploadType": "multipart"},
            content=multipart(metadata, media, "text/plain", "b0undary"),
            headers={"content-type": "multipart/related; boundary=b0undary"},
        )

    good = f'{{"name": "ok", "md5Hash": "{b64_md5(media)}", "crc32c": "{b64_crc32c(media)}"}}'
    assert send(good).status_code == 200
    bad_md5 = f'{{"name": "bad", "md5Hash": "{b64_md5(b"other")}"}}'
    assert "doesn't match calculated MD5" in assert_storage_error(send(bad_md5), 400, "invalid")
    bad_crc = f'{{"name": "bad", "crc32c": "{b64_crc32c(b"other")}"}}'
    assert "CRC32C" in assert_storage_error(send(bad_crc), 400, "invalid")
    assert gcs.get(f"/storage/v1/b/{BUCKET}/o/bad").status_code == 404


def test_malformed_multipart_bodies_are_refused(gcs: httpx.Client) -> None:
    headers = {"content-type": "multipart/related; boundary=xx"}
    only_metadata = b'--xx\r\ncontent-type: application/json\r\n\r\n{"name": "a"}\r\n--xx--'
    truncated = b'--xx\r\n\r\n{"name": "a"}\r\n--xx\r\n\r\nno closing delimiter'
    not_json = b"--xx\r\n\r\nnot json\r\n--xx\r\n\r\ndata\r\n--xx--"
    for body in (only_metadata, truncated, not_json):
        response = gcs.post(
            UPLOAD, params={"uploadType": "multipart"}, content=body, headers=headers
        )
        assert_storage_error(response, 400, "invalid")


def test_resumable_upload_in_chunks(gcs: httpx.Client) -> None:
    data = os.urandom(2 * CHUNK + 1000)
    location = start_session(gcs, "big/data.bin", **{"x-upload-content-type": "application/x-bin"})
    assert location.startswith(str(gcs.base_url).rstrip("/") + "/upload/storage/v1/b/")
    assert "upload_id=" in location

    first = gcs.put(
        location, content=data[:CHUNK], headers={"content-range": f"bytes 0-{CHUNK - 1}/*"}
    )
    assert first.status_code == 308
    assert first.headers["range"] == f"bytes=0-{CHUNK - 1}"
    assert "location" not in first.headers

    status = gcs.put(location, headers={"content-range": "bytes */*"})
    assert status.status_code == 308
    assert status.headers["range"] == f"bytes=0-{CHUNK - 1}"

    second = gcs.put(
        location,
        content=data[CHUNK : 2 * CHUNK],
        headers={"content-range": f"bytes {CHUNK}-{2 * CHUNK - 1}/*"},
    )
    assert (second.status_code, second.headers["range"]) == (308, f"bytes=0-{2 * CHUNK - 1}")

    last = gcs.put(
        location,
        content=data[2 * CHUNK :],
        headers={"content-range": f"bytes {2 * CHUNK}-{len(data) - 1}/{len(data)}"},
    )
    assert last.status_code == 200, last.text
    resource = last.json()
    assert resource["size"] == str(len(data))
    assert resource["contentType"] == "application/x-bin"
    assert resource["md5Hash"] == b64_md5(data)
    assert resource["crc32c"] == b64_crc32c(data)
    again = gcs.put(location, headers={"content-range": "bytes */*"})
    assert (again.status_code, again.json()["generation"]) == (200, resource["generation"])
    assert gcs.get(f"/storage/v1/b/{BUCKET}/o/big%2Fdata.bin?alt=media").content == data


def test_resumable_status_before_any_byte_has_no_range(gcs: httpx.Client) -> None:
    location = start_session(gcs, "empty-so-far")
    response = gcs.put(location, headers={"content-range": "bytes */*"})
    assert response.status_code == 308
    assert "range" not in response.headers


def test_resumable_overlap_is_ignored_and_gaps_are_refused(gcs: httpx.Client) -> None:
    data = os.urandom(2 * CHUNK)
    location = start_session(gcs, "overlap.bin")
    assert (
        gcs.put(
            location, content=data[:CHUNK], headers={"content-range": f"bytes 0-{CHUNK - 1}/*"}
        ).status_code
        == 308
    )
    gap = gcs.put(
        location,
        content=data[:CHUNK],
        headers={"content-range": f"bytes {2 * CHUNK}-{3 * CHUNK - 1}/*"},
    )
    assert f"resume from byte {CHUNK}" in assert_storage_error(gap, 400, "invalid")
    # The whole object again from byte 0: the first half is already there and is skipped.
    final = gcs.put(
        location, content=data, headers={"content-range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    )
    assert final.status_code == 200, final.text
    assert final.json()["md5Hash"] == b64_md5(data)


def test_resumable_rules_for_chunks(gcs: httpx.Client) -> None:
    location = start_session(gcs, "rules.bin", **{"x-upload-content-length": str(CHUNK + 10)})
    short = gcs.put(location, content=b"x" * 1000, headers={"content-range": "bytes 0-999/*"})
    assert "262144" in assert_storage_error(short, 400, "invalid")
    other_total = gcs.put(
        location, content=b"x" * CHUNK, headers={"content-range": f"bytes 0-{CHUNK - 1}/{CHUNK}"}
    )
    assert "declared" in assert_storage_error(other_total, 400, "invalid")
    garbage = gcs.put(location, content=b"x", headers={"content-range": "bytes=0-0/1"})
    assert "Content-Range" in assert_storage_error(garbage, 400, "invalid")
    mismatch = gcs.put(
        location, content=b"x" * 10, headers={"content-range": f"bytes 0-{CHUNK - 1}/*"}
    )
    assert_storage_error(mismatch, 400, "invalid")
    status = gcs.put(location, headers={"content-range": "bytes */*"})
    assert (status.status_code, "range" in status.headers) == (308, False)


def test_resumable_status_query_with_total_finishes(gcs: httpx.Client) -> None:
    location = start_session(gcs, "tiny.txt")
    partial = gcs.put(location, content=b"abc", headers={"content-range": "bytes 0-2/3"})
    assert partial.status_code == 200
    assert gcs.put(location, headers={"content-range": "bytes */3"}).json()["size"] == "3"


def test_session_ids_are_redacted_from_the_access_log() -> None:
    line = "PUT /upload/storage/v1/b/b/o?uploadType=resumable&upload_id=AbC-123 HTTP/1.1"
    assert redact(line) == (
        "PUT /upload/storage/v1/b/b/o?uploadType=resumable&upload_id=REDACTED HTTP/1.1"
    )


def test_cancel_and_unknown_sessions(gcs: httpx.Client) -> None:
    location = start_session(gcs, "cancelled.bin")
    assert gcs.delete(location).status_code == 499
    after = gcs.put(location, headers={"content-range": "bytes */*"})
    assert_storage_error(after, 404, "notFound")
    unknown = gcs.put(
        f"{UPLOAD}?uploadType=resumable&upload_id=nope", headers={"content-range": "bytes */*"}
    )
    assert_storage_error(unknown, 404, "notFound")


@pytest.mark.parametrize("upload_type", ["media", "resumable"])
def test_if_generation_match_zero_refuses_to_overwrite(gcs: httpx.Client, upload_type: str) -> None:
    upload(gcs, "once.txt", b"first")
    response = gcs.post(
        UPLOAD,
        params={"uploadType": upload_type, "name": "once.txt", "ifGenerationMatch": "0"},
        content=b"second" if upload_type == "media" else b"{}",
    )
    assert_storage_error(response, 412, "conditionNotMet")
    assert gcs.get(f"/storage/v1/b/{BUCKET}/o/once.txt?alt=media").content == b"first"


def test_upload_errors(gcs: httpx.Client) -> None:
    no_type = gcs.post(UPLOAD, params={"name": "x"}, content=b"x")
    assert "uploadType" in assert_storage_error(no_type, 400, "invalid")
    no_name = gcs.post(UPLOAD, params={"uploadType": "media"}, content=b"x")
    assert_storage_error(no_name, 400, "required")
    missing_bucket = gcs.post(
        "/upload/storage/v1/b/no-such-bucket/o",
        params={"uploadType": "media", "name": "x"},
        content=b"x",
    )
    assert assert_storage_error(missing_bucket, 404, "notFound") == (
        "The specified bucket does not exist."
    )


def test_overwriting_makes_a_new_generation(gcs: httpx.Client) -> None:
    first = upload(gcs, "same.txt", b"one")
    second = upload(gcs, "same.txt", b"two")
    assert int(second["generation"]) > int(first["generation"])
    stale = gcs.get(first["mediaLink"])
    assert_storage_error(stale, 404, "notFound")
    assert gcs.get(second["mediaLink"]).content == b"two"
