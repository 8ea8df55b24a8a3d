"""The object store: memory bound, spill files, the state directory, ``read_object``."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.emulator.gcs import ObjectStore, StorageConfig
from airflow_provider_tunedmodels.emulator.gcs.errors import StorageError


def _stored(store: ObjectStore, bucket: str, name: str, data: bytes, pieces: int = 1) -> None:
    writer = store.space.writer()
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        writer.write(data[start : start + step])
    store.put(bucket, name, writer.finish(), content_type="application/octet-stream")


def test_small_objects_stay_in_memory_and_large_ones_go_to_files() -> None:
    store = ObjectStore(StorageConfig(memory_limit=1000, spill_threshold=100))
    store.create_bucket("bucket", "demo")
    _stored(store, "bucket", "small", b"s" * 100)
    _stored(store, "bucket", "large", os.urandom(5000), pieces=7)
    small, large = (store.get("bucket", name).blob for name in ("small", "large"))
    assert small.path is None
    assert large.path is not None
    assert large.path.stat().st_size == 5000
    assert store.space.memory_used == 100
    assert store.read_object("gs://bucket/large") == large.read()
    assert large.md5 == base64.b64encode(hashlib.md5(large.read()).digest()).decode()
    store.delete("bucket", "large")
    assert not large.path.exists()
    store.close()


def test_the_memory_budget_sends_later_objects_to_files() -> None:
    store = ObjectStore(StorageConfig(memory_limit=250, spill_threshold=100))
    store.create_bucket("bucket", "demo")
    for index in range(4):
        _stored(store, "bucket", f"o{index}", bytes([index]) * 100)
    in_memory = [store.get("bucket", f"o{i}").blob.path is None for i in range(4)]
    assert in_memory == [True, True, False, False]
    assert store.space.memory_used == 200
    store.delete("bucket", "o0")
    assert store.space.memory_used == 100
    _stored(store, "bucket", "o5", b"5" * 100)
    assert store.get("bucket", "o5").blob.path is None
    assert [store.read_object(f"gs://bucket/o{i}") for i in (1, 2, 3)] == [
        bytes([i]) * 100 for i in (1, 2, 3)
    ]
    store.reset()
    assert store.space.memory_used == 0
    store.close()


def test_read_object_of_missing_things() -> None:
    store = ObjectStore()
    store.create_bucket("bucket", "demo")
    assert store.read_object("gs://bucket/none") is None
    assert store.read_object("gs://other/none") is None
    assert store.read_object("s3://bucket/none") is None


def test_state_directory_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    store = ObjectStore(state_file=state_file)
    store.create_bucket("bucket", "demo")
    _stored(store, "bucket", "dir/kept.jsonl", b'{"a": 1}\n')
    generation = store.get("bucket", "dir/kept.jsonl").generation
    abandoned = store.space.writer()
    abandoned.write(b"never finished")
    assert len(list((tmp_path / "state.json.storage").glob("*.blob"))) == 2

    restarted = ObjectStore(state_file=state_file)
    kept = restarted.get("bucket", "dir/kept.jsonl")
    assert kept.generation == generation
    assert restarted.read_object("gs://bucket/dir/kept.jsonl") == b'{"a": 1}\n'
    assert len(list((tmp_path / "state.json.storage").glob("*.blob"))) == 1
    assert restarted.next_generation() > generation
    with pytest.raises(StorageError) as raised:
        restarted.create_bucket("bucket", "demo")
    assert raised.value.http_status == 409
