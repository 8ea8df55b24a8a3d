"""The staging hook against the bundled emulator: real uploads, resumption, reruns, memory."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from airflow_provider_tunedmodels.core.errors import NotFoundError
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.cloud_storage import CloudStorageHook, storage_settings

MIB = 1024 * 1024
BUCKET = "staging"


def _settings(emulator: RunningEmulator) -> ClientSettings:
    api = ClientSettings(
        base_url=emulator.base_url,
        service_account_info=emulator.service_account_info(),
        retry=RetryPolicy(max_attempts=4, initial_backoff=0.0, jitter=0.0),
    )
    return storage_settings(api)


def _create_bucket(hook: CloudStorageHook) -> None:
    headers = hook.client.auth.headers()
    response = httpx.post(
        f"{hook.settings.root_url}/storage/v1/b",
        params={"project": "demo"},
        json={"name": BUCKET},
        headers=headers,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[CloudStorageHook]:
    emulator.reset()
    hook = CloudStorageHook(settings=_settings(emulator), chunk_size=MIB)
    _create_bucket(hook)
    yield hook
    hook.close()


def _write_random(path: Path, size: int) -> None:
    """Write ``size`` random bytes without holding them in memory."""
    with path.open("wb") as stream:
        for start in range(0, size, MIB):
            stream.write(os.urandom(min(MIB, size - start)))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while piece := stream.read(MIB):
            digest.update(piece)
    return digest.hexdigest()


def test_small_file_staged_once(hook: CloudStorageHook, tmp_path: Path) -> None:
    source = tmp_path / "train.jsonl"
    source.write_text(
        "".join(json.dumps({"text_input": str(n), "output": str(n + 1)}) + "\n" for n in range(50))
    )
    uri = hook.stage_file(source, f"gs://{BUCKET}/runs/one/")
    assert uri == f"gs://{BUCKET}/runs/one/train-{_sha256_file(source)[:16]}.jsonl"
    first = hook.get_object(uri)
    assert first is not None
    assert first["contentType"] == "application/jsonl"
    assert hook.read_object(uri) == source.read_bytes()

    assert hook.stage_file(source, f"gs://{BUCKET}/runs/one") == uri
    again = hook.get_object(uri)
    assert again is not None
    assert again["generation"] == first["generation"]  # nothing was uploaded


def test_large_file_resumes_after_injected_failures(
    emulator: RunningEmulator, hook: CloudStorageHook, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    _write_random(source, 9 * MIB + 321)
    waits: list[float] = []
    resuming = CloudStorageHook(settings=hook.settings, chunk_size=MIB, sleep=waits.append)
    emulator.set_faults(
        {"kind": "503", "rate": 1, "route": "storage.objects.uploadChunk", "count": 1},
        {"kind": "drop", "rate": 0.2, "route": "storage.objects.uploadChunk"},
        seed=1,  # with this seed, chunks are dropped too (the draws are deterministic)
    )
    try:
        uri = resuming.stage_file(source, f"gs://{BUCKET}/big/")
    finally:
        resuming.close()
        emulator.reset_faults()
    assert len(waits) >= 2  # the 503 and at least one dropped chunk were resumed from
    stored = hook.get_object(uri)
    assert stored is not None
    assert stored["size"] == str(source.stat().st_size)
    assert hashlib.sha256(hook.read_object(uri)).hexdigest() == _sha256_file(source)


def test_async_staging_and_reads(
    emulator: RunningEmulator, hook: CloudStorageHook, tmp_path: Path
) -> None:
    source = tmp_path / "eval.jsonl"
    _write_random(source, 3 * MIB + 5)

    async def scenario() -> tuple[str, bool, bytes]:
        async_hook = CloudStorageHook(settings=hook.settings, chunk_size=MIB, multipart_limit=MIB)
        try:
            uri = await async_hook.astage_file(source, f"gs://{BUCKET}/async/")
            return uri, await async_hook.aobject_exists(uri), await async_hook.aread_object(uri)
        finally:
            await async_hook.aclose()

    _, exists, data = asyncio.run(scenario())
    assert exists
    assert data == source.read_bytes()
    assert not hook.object_exists(f"gs://{BUCKET}/async/nothing")
    with pytest.raises(NotFoundError) as raised:
        hook.read_object(f"gs://{BUCKET}/async/nothing")
    assert f"/storage/v1/b/{BUCKET}/o/async%2Fnothing" in str(raised.value)


def test_object_storage_path_source(hook: CloudStorageHook, tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    source = tmp_path / "remote.jsonl"
    source.write_bytes(b'{"a": 1}\n' * 10)
    uri = hook.stage_file(ObjectStoragePath(f"file://{source}"), f"gs://{BUCKET}/osp/")
    assert uri.startswith(f"gs://{BUCKET}/osp/remote-")
    assert hook.read_object(uri) == source.read_bytes()


@pytest.mark.usefixtures("restore_env")
def test_connection_gives_credentials_and_the_emulator_address(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    conn = {
        "conn_type": "gemini_tuned_models",
        "host": emulator.base_url,
        "extra": {"keyfile_dict": json.dumps(emulator.service_account_info())},
    }
    emulator.reset()
    os.environ["AIRFLOW_CONN_STAGING_TEST"] = json.dumps(conn)
    hook = CloudStorageHook("staging_test")
    try:
        assert hook.settings.root_url == emulator.base_url
        assert hook.settings.scopes == ("https://www.googleapis.com/auth/cloud-platform",)
        _create_bucket(hook)
        source = tmp_path / "x.jsonl"
        source.write_bytes(b"{}\n")
        assert hook.object_exists(hook.stage_file(source, f"gs://{BUCKET}/"))
    finally:
        hook.close()


def test_resumable_upload_of_20_mib_in_constant_memory(tmp_path: Path) -> None:
    # The emulator runs in another process, so this process's allocations are the hook's.
    source = tmp_path / "large.jsonl"
    size = 20 * MIB + 17
    _write_random(source, size)
    with run_emulator(subprocess=True) as emulator:
        hook = CloudStorageHook(settings=_settings(emulator), chunk_size=MIB)
        try:
            _create_bucket(hook)
            hook.get_object(f"gs://{BUCKET}/warm-up")  # token and connection pool first
            tracemalloc.start()
            try:
                uri = hook.stage_file(source, f"gs://{BUCKET}/memory/")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            stored = hook.get_object(uri)
        finally:
            hook.close()
    assert stored is not None
    assert stored["size"] == str(size)
    assert peak < 4 * MIB, f"peak {peak / MIB:.1f} MiB while staging a {size / MIB:.0f} MiB file"
