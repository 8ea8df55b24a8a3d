"""Storage buckets and objects: metadata, downloads with Range, listing, deletion, auth."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import httpx

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.gcs.conftest import (
    BUCKET,
    READ_ONLY,
    assert_storage_error,
    upload,
)

OBJECTS = f"/storage/v1/b/{BUCKET}/o"
DATA = bytes(range(256)) * 4  # 1,024 bytes


def test_bucket_create_get_list_and_errors(gcs: httpx.Client) -> None:
    bucket = gcs.get(f"/storage/v1/b/{BUCKET}").json()
    assert (bucket["kind"], bucket["name"], bucket["id"]) == ("storage#bucket", BUCKET, BUCKET)
    assert bucket["projectNumber"].isdigit()
    duplicate = gcs.post("/storage/v1/b", params={"project": "demo"}, json={"name": BUCKET})
    assert_storage_error(duplicate, 409, "conflict")
    missing = gcs.get("/storage/v1/b/no-such-bucket")
    assert assert_storage_error(missing, 404, "notFound") == "The specified bucket does not exist."
    no_project = gcs.post("/storage/v1/b", json={"name": "other-bucket"})
    assert_storage_error(no_project, 400, "required")
    bad_name = gcs.post("/storage/v1/b", params={"project": "demo"}, json={"name": "Bad_Name!"})
    assert "Invalid bucket name" in assert_storage_error(bad_name, 400, "invalid")
    listed = gcs.get("/storage/v1/b", params={"project": "demo"}).json()
    assert [item["name"] for item in listed["items"]] == [BUCKET]
    assert "items" not in gcs.get("/storage/v1/b", params={"project": "elsewhere"}).json()


def test_bucket_delete_needs_an_empty_bucket(gcs: httpx.Client) -> None:
    upload(gcs, "x", b"x")
    assert_storage_error(gcs.delete(f"/storage/v1/b/{BUCKET}"), 409, "conflict")
    assert gcs.delete(f"{OBJECTS}/x").status_code == 204
    assert gcs.delete(f"/storage/v1/b/{BUCKET}").status_code == 204
    assert gcs.get(f"/storage/v1/b/{BUCKET}").status_code == 404


def test_metadata_of_a_name_with_slashes_and_odd_characters(gcs: httpx.Client) -> None:
    name = "runs/2024-01-01/a b+c%d?e#f.jsonl"
    created = upload(gcs, name, DATA)
    response = gcs.get(f"{OBJECTS}/{quote(name, safe='')}")
    assert response.status_code == 200, response.text
    assert response.json() == created
    assert response.json()["name"] == name


def test_download_whole_and_ranges(gcs: httpx.Client) -> None:
    upload(gcs, "dir/data.bin", DATA, "application/octet-stream")
    for url in (
        f"{OBJECTS}/dir%2Fdata.bin?alt=media",
        f"/download{OBJECTS}/dir%2Fdata.bin?alt=media",
    ):
        whole = gcs.get(url)
        assert whole.status_code == 200
        assert whole.content == DATA
        assert whole.headers["content-type"] == "application/octet-stream"
        assert whole.headers["x-goog-hash"].startswith("crc32c=")
        assert ",md5=" in whole.headers["x-goog-hash"]
        part = gcs.get(url, headers={"range": "bytes=10-19"})
        assert (part.status_code, part.content) == (206, DATA[10:20])
        assert part.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
        tail = gcs.get(url, headers={"range": "bytes=-5"})
        assert (tail.status_code, tail.content) == (206, DATA[-5:])
        rest = gcs.get(url, headers={"range": "bytes=1000-"})
        assert (rest.status_code, rest.content) == (206, DATA[1000:])
        beyond = gcs.get(url, headers={"range": "bytes=5000-"})
        assert_storage_error(beyond, 416, "requestedRangeNotSatisfiable")
        assert beyond.headers["content-range"] == f"bytes */{len(DATA)}"
        ignored = gcs.get(url, headers={"range": "lines=1-2"})
        assert (ignored.status_code, ignored.content) == (200, DATA)


def test_missing_object(gcs: httpx.Client) -> None:
    response = gcs.get(f"{OBJECTS}/nothing%2Fhere")
    assert (
        assert_storage_error(response, 404, "notFound") == f"No such object: {BUCKET}/nothing/here"
    )
    assert_storage_error(gcs.get(f"{OBJECTS}/nothing?alt=media"), 404, "notFound")
    assert_storage_error(gcs.delete(f"{OBJECTS}/nothing"), 404, "notFound")


def test_delete_object(gcs: httpx.Client) -> None:
    upload(gcs, "gone.txt", b"bye")
    response = gcs.delete(f"{OBJECTS}/gone.txt")
    assert (response.status_code, response.content) == (204, b"")
    assert gcs.get(f"{OBJECTS}/gone.txt").status_code == 404


def _names(page: dict) -> list[str]:
    return [item["name"] for item in page.get("items", [])]


def test_list_with_prefix_and_delimiter(gcs: httpx.Client) -> None:
    for name in ("a.txt", "dir/1.txt", "dir/2.txt", "dir/sub/3.txt", "dir2/4.txt", "z.txt"):
        upload(gcs, name, b"x")
    everything = gcs.get(OBJECTS).json()
    assert everything["kind"] == "storage#objects"
    assert _names(everything) == [
        "a.txt",
        "dir/1.txt",
        "dir/2.txt",
        "dir/sub/3.txt",
        "dir2/4.txt",
        "z.txt",
    ]
    assert "nextPageToken" not in everything
    top = gcs.get(OBJECTS, params={"delimiter": "/"}).json()
    assert (_names(top), top["prefixes"]) == (["a.txt", "z.txt"], ["dir/", "dir2/"])
    inside = gcs.get(OBJECTS, params={"prefix": "dir/", "delimiter": "/"}).json()
    assert (_names(inside), inside["prefixes"]) == (["dir/1.txt", "dir/2.txt"], ["dir/sub/"])
    assert _names(gcs.get(OBJECTS, params={"prefix": "dir2"}).json()) == ["dir2/4.txt"]
    assert gcs.get(OBJECTS, params={"prefix": "nope/"}).json() == {"kind": "storage#objects"}


def test_list_pages(gcs: httpx.Client) -> None:
    names = [f"p/{index:02d}" for index in range(7)] + ["q/1", "q/2", "r"]
    for name in names:
        upload(gcs, name, b"x")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params = {"maxResults": "3", **({"pageToken": token} if token else {})}
        page = gcs.get(OBJECTS, params=params).json()
        pages += 1
        seen += _names(page)
        token = page.get("nextPageToken")
        if not token:
            break
    assert (seen, pages) == (names, 4)
    # With a delimiter, a rolled-up prefix counts as one entry and is never repeated.
    entries: list[str] = []
    token = None
    while True:
        params = {"maxResults": "1", "delimiter": "/", **({"pageToken": token} if token else {})}
        page = gcs.get(OBJECTS, params=params).json()
        entries += _names(page) + page.get("prefixes", [])
        token = page.get("nextPageToken")
        if not token:
            break
    assert entries == ["p/", "q/", "r"]


def test_list_errors(gcs: httpx.Client) -> None:
    upload(gcs, "a", b"x")
    upload(gcs, "b", b"x")
    token = gcs.get(OBJECTS, params={"maxResults": "1"}).json()["nextPageToken"]
    other_query = gcs.get(OBJECTS, params={"maxResults": "1", "prefix": "b", "pageToken": token})
    assert_storage_error(other_query, 400, "invalid")
    assert_storage_error(gcs.get(OBJECTS, params={"pageToken": "garbage"}), 400, "invalid")
    assert_storage_error(gcs.get(OBJECTS, params={"maxResults": "x"}), 400, "invalid")
    assert_storage_error(gcs.get("/storage/v1/b/no-such-bucket/o"), 404, "notFound")


def test_credentials_are_required_and_scopes_are_checked(
    gcs: httpx.Client, client_for: Callable[[str], httpx.Client]
) -> None:
    upload(gcs, "secret.txt", b"s")
    with httpx.Client(base_url=gcs.base_url, trust_env=False) as anonymous:
        assert anonymous.get(f"{OBJECTS}/secret.txt").status_code == 401
        bad_token = anonymous.get(
            f"{OBJECTS}/secret.txt", headers={"authorization": "Bearer ya29.made-up"}
        )
        assert bad_token.status_code == 401
    reader = client_for(READ_ONLY)
    assert reader.get(f"{OBJECTS}/secret.txt?alt=media").content == b"s"
    refused = reader.delete(f"{OBJECTS}/secret.txt")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Request had insufficient authentication scopes."
    tuning_only = client_for("https://www.googleapis.com/auth/generative-language.tuning")
    assert tuning_only.get(f"{OBJECTS}/secret.txt").status_code == 403


def test_storage_routes_obey_fault_rules(emulator: RunningEmulator, gcs: httpx.Client) -> None:
    emulator.set_faults({"kind": "503", "rate": 1, "route": "storage.objects.*", "count": 1})
    assert gcs.get(OBJECTS).status_code == 503
    assert gcs.get(OBJECTS).status_code == 200
