"""A set of fingerprints kept on disk, so duplicate detection uses constant memory.

The set lives in a SQLite database in a private temporary directory that is deleted
on close. SQLite keeps at most ``cache_kib`` of pages in memory and leaves the rest
to the file (and the operating system's page cache, which is not process memory),
so the process's memory stays flat however many examples are seen. Nothing is ever
committed or synced: the database is scratch space.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["SeenStore"]

#: Default page-cache budget of the SQLite connection.
DEFAULT_CACHE_KIB = 4096


class SeenStore:
    """Remember byte strings (fingerprints) and tell whether one was seen before.

    Use it as a context manager::

        with SeenStore() as seen:
            if seen.add(fingerprint):
                ...  # first time
    """

    def __init__(self, *, cache_kib: int = DEFAULT_CACHE_KIB) -> None:
        """Configure the in-memory page budget; the database is created on ``with``."""
        self._cache_kib = cache_kib
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> Self:
        """Create the scratch database."""
        self._directory = tempfile.TemporaryDirectory(prefix="tunedmodels-seen-")
        path = Path(self._directory.name) / "seen.sqlite3"
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute(f"PRAGMA cache_size = -{int(self._cache_kib)}")
        connection.execute("CREATE TABLE seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID")
        # One long transaction: nothing needs to be durable.
        connection.execute("BEGIN")
        self._connection = connection
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Drop the database and its directory."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def add(self, fingerprint: bytes) -> bool:
        """Record ``fingerprint``; return ``True`` if it was new, ``False`` if seen before."""
        if self._connection is None:
            raise RuntimeError("SeenStore must be used as a context manager")
        cursor = self._connection.execute(
            "INSERT OR IGNORE INTO seen (fingerprint) VALUES (?)", (fingerprint,)
        )
        return cursor.rowcount == 1
