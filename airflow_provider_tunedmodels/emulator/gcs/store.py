"""Buckets and objects of the emulator's Cloud Storage, optionally kept in a state directory.

Objects are kept per bucket with their names in sorted order, so listing by
prefix is a binary search. Each upload makes a new generation (a microsecond
timestamp, strictly increasing, as Cloud Storage's are) and replaces the
previous one. With a state file, the metadata goes to ``<state file>.storage/
index.json`` and the contents to files beside it, rewritten on every change.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.emulator.gcs import errors
from airflow_provider_tunedmodels.emulator.gcs.blobs import Blob, BlobSpace
from airflow_provider_tunedmodels.emulator.gcs.config import StorageConfig

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.gcs.uploads import UploadSession

__all__ = ["Bucket", "ObjectStore", "StoredObject", "check_object_name"]

#: Format version of ``index.json``.
INDEX_VERSION = 1
#: Bucket names: 3-63 characters, lowercase letters, digits, ``-``, ``_`` and ``.``.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
#: Longest object name, in UTF-8 bytes.
MAX_OBJECT_NAME_BYTES = 1024


@dataclass
class StoredObject:
    """One object: its current generation's metadata and contents."""

    bucket: str
    name: str
    generation: int
    content_type: str
    blob: Blob
    created: float
    #: Fields given at upload and shown as given (``metadata``, ``cacheControl``...).
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Serialise for ``index.json``."""
        return {
            "name": self.name,
            "generation": self.generation,
            "contentType": self.content_type,
            "created": self.created,
            "extra": self.extra,
            "size": self.blob.size,
            "md5Hash": self.blob.md5,
            "crc32c": self.blob.crc32c,
            "file": self.blob.path.name if self.blob.path is not None else None,
        }


@dataclass
class Bucket:
    """A bucket and its objects."""

    name: str
    project: str
    created: float
    objects: dict[str, StoredObject] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # sorted

    def names_from(self, start: str) -> Iterator[str]:
        """Object names ``>= start`` in order."""
        index = bisect.bisect_left(self.names, start)
        yield from self.names[index:]


def check_bucket_name(name: str) -> None:
    """Refuse a bucket name Cloud Storage would refuse."""
    if not BUCKET_NAME.fullmatch(name) or ".." in name:
        raise errors.invalid(f"Invalid bucket name: '{name}'")


def check_object_name(name: str) -> None:
    """Refuse an object name Cloud Storage would refuse."""
    if not name:
        raise errors.required("object name")
    if len(name.encode("utf-8")) > MAX_OBJECT_NAME_BYTES:
        raise errors.invalid("The maximum object length is 1024 characters, but got a name longer.")
    if name in (".", "..") or "\r" in name or "\n" in name:
        raise errors.invalid(f"Invalid object name: {name!r}")


class ObjectStore:
    """Every bucket and object of one emulator.

    :param config: memory bound and spill settings.
    :param state_file: the emulator's state file; objects are then kept beside it.
    :param clock: seconds since the epoch (tests pass a fake one).
    """

    def __init__(
        self,
        config: StorageConfig | None = None,
        *,
        state_file: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or StorageConfig()
        self.clock = clock
        self._state_dir = Path(f"{os.fspath(state_file)}.storage") if state_file else None
        self.space = BlobSpace(self.config, self._state_dir)
        self.buckets: dict[str, Bucket] = {}
        #: Resumable uploads in progress, by session id.
        self.sessions: dict[str, UploadSession] = {}
        self._last_generation = 0
        if self._state_dir is not None and (self._state_dir / "index.json").exists():
            self._load()

    # -- buckets ----------------------------------------------------------------

    def create_bucket(self, name: str, project: str) -> Bucket:
        """Create a bucket (``409`` if it exists)."""
        check_bucket_name(name)
        if name in self.buckets:
            raise errors.conflict("You already own this bucket. Please select another name.")
        bucket = Bucket(name, project, self.clock())
        self.buckets[name] = bucket
        self.save()
        return bucket

    def bucket(self, name: str) -> Bucket:
        """The bucket ``name`` (``404`` if missing)."""
        bucket = self.buckets.get(name)
        if bucket is None:
            raise errors.bucket_not_found()
        return bucket

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket."""
        if self.bucket(name).objects:
            raise errors.bucket_not_empty()
        del self.buckets[name]
        self.save()

    # -- objects ----------------------------------------------------------------

    def next_generation(self) -> int:
        """A new generation number: the time in microseconds, strictly increasing."""
        self._last_generation = max(self._last_generation + 1, int(self.clock() * 1_000_000))
        return self._last_generation

    def get(self, bucket: str, name: str, generation: str | None = None) -> StoredObject:
        """The object (``404`` if missing, or if ``generation`` is not its current one)."""
        found = self.bucket(bucket).objects.get(name)
        if found is None or (generation is not None and str(found.generation) != generation):
            raise errors.object_not_found(bucket, name)
        return found

    def check_generation_match(self, bucket: str, name: str, expected: str | None) -> None:
        """``ifGenerationMatch``: ``0`` means "must not exist"; ``412`` when it does not hold."""
        if expected is None:
            return
        try:
            wanted = int(expected)
        except ValueError:
            raise errors.invalid(f"Invalid value for ifGenerationMatch: {expected!r}") from None
        current = self.bucket(bucket).objects.get(name)
        if (current.generation if current is not None else 0) != wanted:
            raise errors.precondition_failed()

    def put(
        self,
        bucket: str,
        name: str,
        blob: Blob,
        *,
        content_type: str,
        extra: Mapping[str, Any] | None = None,
    ) -> StoredObject:
        """Store ``blob`` as the new generation of ``bucket/name``."""
        target = self.bucket(bucket)
        stored = StoredObject(
            bucket,
            name,
            self.next_generation(),
            content_type,
            blob,
            self.clock(),
            dict(extra or {}),
        )
        previous = target.objects.get(name)
        if previous is None:
            bisect.insort(target.names, name)
        else:
            previous.blob.release()
        target.objects[name] = stored
        self.save()
        return stored

    def put_bytes(
        self, uri: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        """Store ``data`` at ``gs://bucket/name``, creating the bucket if needed (control API)."""
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        if not uri.startswith("gs://") or not bucket or not name:
            raise errors.invalid(f"{uri!r} is not a Cloud Storage object URI (gs://bucket/object)")
        if bucket not in self.buckets:
            self.create_bucket(bucket, project="emulator")
        check_object_name(name)
        writer = self.space.writer()
        writer.write(data)
        return self.put(bucket, name, writer.finish(), content_type=content_type)

    def delete(self, bucket: str, name: str) -> None:
        """Delete the object (``404`` if missing)."""
        target = self.bucket(bucket)
        stored = self.get(bucket, name)
        del target.objects[name]
        del target.names[bisect.bisect_left(target.names, name)]
        stored.blob.release()
        self.save()

    def read_object(self, uri: str) -> bytes | None:
        """The contents of ``gs://bucket/name``, or ``None`` when there is no such object."""
        if not uri.startswith("gs://"):
            return None
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        found = self.buckets.get(bucket)
        stored = found.objects.get(name) if found is not None else None
        return stored.blob.read() if stored is not None else None

    def reset(self) -> None:
        """Forget every bucket, object and upload in progress."""
        for session in self.sessions.values():
            if session.result is None:
                session.writer.discard()
        self.sessions.clear()
        for bucket in self.buckets.values():
            for stored in bucket.objects.values():
                stored.blob.release()
        self.buckets.clear()
        self.save()

    def close(self) -> None:
        """Remove temporary files (objects held in files are lost)."""
        self.space.close()

    # -- state ------------------------------------------------------------------

    def save(self) -> None:
        """Rewrite ``index.json`` atomically, when there is a state file."""
        if self._state_dir is None:
            return
        payload = {
            "version": INDEX_VERSION,
            "lastGeneration": self._last_generation,
            "buckets": [
                {
                    "name": bucket.name,
                    "project": bucket.project,
                    "created": bucket.created,
                    "objects": [bucket.objects[name].to_json() for name in bucket.names],
                }
                for bucket in self.buckets.values()
            ],
        }
        self._state_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._state_dir, prefix=".index-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, ensure_ascii=False)
            os.replace(temporary, self._state_dir / "index.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _load(self) -> None:
        assert self._state_dir is not None
        path = self._state_dir / "index.json"
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("version") != INDEX_VERSION:
            raise ValueError(
                f"{path}: unsupported storage index version {payload.get('version')!r}"
            )
        self._last_generation = int(payload.get("lastGeneration", 0))
        for data in payload.get("buckets", []):
            bucket = Bucket(str(data["name"]), str(data["project"]), float(data["created"]))
            for item in data.get("objects", []):
                stored = self._load_object(bucket.name, item)
                bucket.objects[stored.name] = stored
                bucket.names.append(stored.name)
            bucket.names.sort()
            self.buckets[bucket.name] = bucket
        self._remove_orphan_files()

    def _load_object(self, bucket: str, item: Mapping[str, Any]) -> StoredObject:
        assert self._state_dir is not None
        blob = self.space.adopt(
            self._state_dir / str(item["file"]),
            size=int(item["size"]),
            md5=str(item["md5Hash"]),
            crc32c=str(item["crc32c"]),
        )
        return StoredObject(
            bucket,
            str(item["name"]),
            int(item["generation"]),
            str(item["contentType"]),
            blob,
            float(item["created"]),
            dict(item.get("extra") or {}),
        )

    def _remove_orphan_files(self) -> None:
        """Delete files of uploads that never finished before the restart."""
        assert self._state_dir is not None
        kept = {
            stored.blob.path.name
            for bucket in self.buckets.values()
            for stored in bucket.objects.values()
            if stored.blob.path is not None
        }
        for path in self._state_dir.glob("*.blob"):
            if path.name not in kept:
                path.unlink(missing_ok=True)
