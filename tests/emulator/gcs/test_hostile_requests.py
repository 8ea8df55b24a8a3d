"""Malformed and hostile storage requests are answered 4xx, never 500."""

from __future__ import annotations

import base64

import httpx

from tests.emulator.gcs.conftest import BUCKET, assert_storage_error, upload

UPLOAD = f"/upload/storage/v1/b/{BUCKET}/o"
OBJECTS = f"/storage/v1/b/{BUCKET}/o"


def test_oversized_numbers_in_headers(gcs: httpx.Client) -> None:
    upload(gcs, "x.bin", b"0123456789")
    huge = "9" * 40
    ignored_range = gcs.get(f"{OBJECTS}/x.bin?alt=media", headers={"range": f"bytes={huge}-"})
    assert (ignored_range.status_code, ignored_range.content) == (200, b"0123456789")
    start = gcs.post(
        UPLOAD,
        params={"uploadType": "resumable"},
        json={"name": "y.bin"},
        headers={"x-upload-content-length": huge},
    )
    assert start.status_code == 200
    location = start.headers["location"]
    chunk = gcs.put(location, content=b"x", headers={"content-range": f"bytes 0-{huge}/*"})
    assert_storage_error(chunk, 400, "invalid")
    status = gcs.put(location, headers={"content-range": "bytes */*"})
    assert status.status_code == 308


def test_nested_or_garbage_json_and_tokens(gcs: httpx.Client) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    for params in ({"uploadType": "resumable"}, {"uploadType": "multipart"}):
        response = gcs.post(
            UPLOAD,
            params=params,
            content=nested if params["uploadType"] == "resumable" else b"--b\r\n\r\n" + nested,
            headers={"content-type": "multipart/related; boundary=b"},
        )
        assert_storage_error(response, 400, "invalid")
    token = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
    assert_storage_error(gcs.get(OBJECTS, params={"pageToken": token}), 400, "invalid")
    bucket = gcs.post("/storage/v1/b", params={"project": "p"}, content=nested)
    assert_storage_error(bucket, 400, "invalid")


def test_bad_names(gcs: httpx.Client) -> None:
    too_long = gcs.post(UPLOAD, params={"uploadType": "media", "name": "n" * 1025}, content=b"x")
    assert_storage_error(too_long, 400, "invalid")
    line_break = gcs.post(UPLOAD, params={"uploadType": "media", "name": "a\nb"}, content=b"x")
    assert_storage_error(line_break, 400, "invalid")
    not_a_string = gcs.post(UPLOAD, params={"uploadType": "resumable"}, json={"name": 42})
    assert_storage_error(not_a_string, 400, "invalid")
    assert gcs.get("/storage/v1/b/UPPER").status_code == 404
