"""Object contents: in memory up to a bound, in files beyond it, with their checksums.

A :class:`BlobWriter` receives an object's bytes as they arrive, computes MD5 and
CRC-32C on the way, and keeps the bytes in memory until the object outgrows
:attr:`StorageConfig.spill_threshold` or the memory budget of all objects runs
out; from then on they go to a file. :meth:`BlobWriter.finish` turns it into an
immutable :class:`Blob`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from airflow_provider_tunedmodels.emulator.gcs.config import MIB, StorageConfig
from airflow_provider_tunedmodels.emulator.gcs.crc32c import Crc32c

__all__ = ["Blob", "BlobSpace", "BlobWriter"]

#: Bytes read from a file per downloaded chunk.
READ_CHUNK = MIB


class Blob:
    """The immutable contents of one object generation, in memory or in a file."""

    def __init__(
        self,
        space: BlobSpace,
        *,
        size: int,
        md5: str,
        crc32c: str,
        data: bytes | None = None,
        path: Path | None = None,
    ) -> None:
        self.space = space
        self.size = size
        #: Base64 MD5, as ``md5Hash`` shows it.
        self.md5 = md5
        #: Base64 big-endian CRC-32C, as ``crc32c`` shows it.
        self.crc32c = crc32c
        self._data = data
        #: The file holding the bytes, or ``None`` when they are in memory.
        self.path = path

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Bytes ``start`` up to (excluding) ``end``."""
        stop = self.size if end is None else min(end, self.size)
        if self._data is not None:
            return self._data[start:stop]
        with self._open() as stream:
            stream.seek(start)
            return stream.read(max(0, stop - start))

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` up to ``end`` in pieces; a file is opened at once, so the
        pieces stay readable even if the object is deleted meanwhile."""
        if self._data is not None:
            return iter((self._data[start:end],))
        return _file_chunks(self._open(), start, end)

    def _open(self) -> BinaryIO:
        if self.path is None:
            raise RuntimeError("blob has neither data nor a file")
        return self.path.open("rb")

    def release(self) -> None:
        """Free the memory or delete the file (the object is gone)."""
        if self._data is not None:
            self.space.release(self.size)
            self._data = None
        elif self.path is not None:
            self.path.unlink(missing_ok=True)


def _file_chunks(stream: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    with stream:
        stream.seek(start)
        remaining = end - start
        while remaining > 0:
            piece = stream.read(min(READ_CHUNK, remaining))
            if not piece:
                return
            remaining -= len(piece)
            yield piece


class BlobWriter:
    """Receives one object's bytes; see the module documentation."""

    def __init__(self, space: BlobSpace) -> None:
        self.space = space
        self.size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._crc32c = Crc32c()
        self._memory: bytearray | None = None if space.persistent else bytearray()
        self._path: Path | None = None
        self._file: BinaryIO | None = None
        if space.persistent:
            self._spill()

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        if not data:
            return
        self._md5.update(data)
        self._crc32c.update(data)
        if self._memory is not None and not self._fits_in_memory(len(data)):
            self._spill()
        if self._memory is not None:
            self._memory += data
        elif self._file is not None:
            self._file.write(data)
        self.size += len(data)

    def _fits_in_memory(self, more: int) -> bool:
        if self.size + more > self.space.config.spill_threshold:
            return False
        return self.space.reserve(more)

    def _spill(self) -> None:
        self._path, self._file = self.space.new_file()
        if self._memory:
            self._file.write(self._memory)
            self.space.release(len(self._memory))
        self._memory = None

    def finish(self) -> Blob:
        """The finished contents (the writer must not be used afterwards)."""
        md5 = base64.b64encode(self._md5.digest()).decode("ascii")
        crc32c = self._crc32c.b64digest()
        if self._memory is not None:
            data, self._memory = bytes(self._memory), None
            return Blob(self.space, size=self.size, md5=md5, crc32c=crc32c, data=data)
        if self._file is not None:
            self._file.close()
            self._file = None
        return Blob(self.space, size=self.size, md5=md5, crc32c=crc32c, path=self._path)

    def discard(self) -> None:
        """Drop what was received (an abandoned or failed upload)."""
        if self._memory is not None:
            self.space.release(len(self._memory))
            self._memory = None
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


class BlobSpace:
    """Where contents live: the memory budget and the directory of files.

    :param directory: keep every object in a file of this directory (the state
        file's companion); without it, memory first and a temporary directory.
    """

    def __init__(self, config: StorageConfig, directory: Path | None = None) -> None:
        self.config = config
        self.persistent = directory is not None
        self.memory_used = 0
        self._lock = threading.Lock()  # writers run in worker threads
        self._directory = directory
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def writer(self) -> BlobWriter:
        """A writer for a new object's contents."""
        return BlobWriter(self)

    def reserve(self, size: int) -> bool:
        """Take ``size`` bytes of the memory budget, if that many are left."""
        with self._lock:
            if self.memory_used + size > self.config.memory_limit:
                return False
            self.memory_used += size
            return True

    def release(self, size: int) -> None:
        """Give ``size`` bytes back to the memory budget."""
        with self._lock:
            self.memory_used = max(0, self.memory_used - size)

    def directory(self) -> Path:
        """The directory of object files (created on first use)."""
        if self._directory is None:
            if self._temporary is None:
                self._temporary = tempfile.TemporaryDirectory(
                    prefix="tunedmodels-emulator-storage-", dir=self.config.spill_directory
                )
            return Path(self._temporary.name)
        self._directory.mkdir(parents=True, exist_ok=True)
        return self._directory

    def new_file(self) -> tuple[Path, BinaryIO]:
        """A new, empty object file, open for writing."""
        path = self.directory() / f"{secrets.token_hex(16)}.blob"
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return path, os.fdopen(handle, "wb")

    def adopt(self, path: Path, *, size: int, md5: str, crc32c: str) -> Blob:
        """The blob of a file written before a restart."""
        return Blob(self, size=size, md5=md5, crc32c=crc32c, path=path)

    def close(self) -> None:
        """Remove the temporary directory, if one was made."""
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None
