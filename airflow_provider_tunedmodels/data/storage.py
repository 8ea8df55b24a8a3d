"""Open local files and ``ObjectStoragePath`` URIs, and replace files atomically.

A *location* is a local path (``str`` or :class:`os.PathLike`), a URI string such
as ``"s3://bucket/train.jsonl"``, or an :class:`airflow.sdk.ObjectStoragePath`.
Local paths are opened with :func:`open`; everything else goes through
``ObjectStoragePath``, which is imported only when a URI is actually used, so
importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO, TypeGuard, Union, cast

if TYPE_CHECKING:
    from types import TracebackType

    from airflow.sdk import ObjectStoragePath
    from typing_extensions import Self

__all__ = [
    "AtomicTextWriter",
    "Location",
    "describe_location",
    "is_local_path",
    "is_object_storage_path",
    "open_binary",
    "open_text",
    "resolve_location",
]

#: A local path, a URI string, or an ``ObjectStoragePath``.
Location = Union[str, "os.PathLike[str]", "ObjectStoragePath"]

#: Encoding used to read text; ``utf-8-sig`` also accepts files saved with a BOM.
READ_ENCODING = "utf-8-sig"
#: Encoding of every file written by this package.
WRITE_ENCODING = "utf-8"

_LOCAL_PROTOCOLS = frozenset({"file", "local"})


def is_object_storage_path(value: object) -> bool:
    """Return whether ``value`` is an ``ObjectStoragePath``, without importing Airflow.

    If Airflow's path module was never imported, no such object can exist yet.
    """
    module = sys.modules.get("airflow.sdk.io.path")
    return module is not None and isinstance(value, module.ObjectStoragePath)


def is_local_path(value: object) -> TypeGuard[Path]:
    """Return whether ``value`` is a plain local :class:`~pathlib.Path`, not a URI's path.

    On Airflow 3.1 ``ObjectStoragePath`` is itself a ``pathlib.Path`` subclass, even for
    ``s3://`` or ``file://`` URIs, so ``isinstance(value, Path)`` alone would let a URI
    reach :func:`open` or :func:`os.replace`.
    """
    return isinstance(value, Path) and not is_object_storage_path(value)


def resolve_location(location: Location) -> Path | ObjectStoragePath:
    """Turn ``location`` into a :class:`~pathlib.Path` or an ``ObjectStoragePath``.

    A string containing ``://`` is a URI and becomes an ``ObjectStoragePath``;
    any other string or path-like object is a local path.
    """
    if is_object_storage_path(location):
        return cast("ObjectStoragePath", location)
    if isinstance(location, str) and "://" in location:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location)
    if isinstance(location, (str, os.PathLike)):
        return Path(os.fspath(location))
    raise TypeError(
        f"expected a path, a URI or an ObjectStoragePath, got {type(location).__name__}"
    )


def describe_location(location: Path | ObjectStoragePath) -> str:
    """Return a JSON-safe string for ``location``: an absolute file path or a URI."""
    if is_local_path(location):
        return str(location.absolute())
    return str(location)


def open_binary(location: Path | ObjectStoragePath) -> BinaryIO:
    """Open ``location`` for reading bytes."""
    if is_local_path(location):
        return location.open("rb")
    remote: Any = location  # ObjectStoragePath.open is not annotated
    return cast("BinaryIO", remote.open("rb"))


def open_text(location: Path | ObjectStoragePath, *, newline: str | None = None) -> TextIO:
    """Open ``location`` for reading text (UTF-8, with or without a BOM).

    ``newline`` is passed to the text layer; the CSV reader needs ``""``.
    """
    if is_local_path(location):
        return location.open("r", encoding=READ_ENCODING, newline=newline)
    remote: Any = location  # ObjectStoragePath.open is not annotated
    return cast("TextIO", remote.open("r", encoding=READ_ENCODING, newline=newline))


class AtomicTextWriter:
    """Write a text file under a temporary name and move it into place on :meth:`commit`.

    Text is written as UTF-8 and line endings are left as they are; bytes
    already encoded that way can be written directly with :meth:`write_bytes`.

    The temporary file sits next to the target (same directory or bucket prefix)
    and is named ``.<target name>.<random>.tmp``. Until :meth:`commit` is called
    the target is untouched; leaving the ``with`` block without committing (for
    example because of an exception) deletes the temporary file, so a failed run
    never leaves a half-written file behind.

    On a local file system the final move is an atomic :func:`os.replace`. On an
    object store it is the store's own move, usually a copy followed by a delete.
    """

    def __init__(self, target: Path | ObjectStoragePath) -> None:
        """Prepare to write ``target``; nothing is created before ``with``."""
        self.target = target
        self._temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        self._file: BinaryIO | None = None
        self._committed = False

    def __enter__(self) -> Self:
        """Create the temporary file (and local parent directories)."""
        self._file = self._open_temporary()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Delete the temporary file unless :meth:`commit` was called."""
        if not self._committed:
            self.discard()

    @property
    def location(self) -> str:
        """The target as a JSON-safe string."""
        return describe_location(self.target)

    def write(self, text: str) -> None:
        """Append ``text`` to the temporary file."""
        self.write_bytes(text.encode(WRITE_ENCODING))

    def write_bytes(self, data: bytes) -> None:
        """Append ``data``, text already encoded as UTF-8, to the temporary file."""
        if self._file is None:
            raise RuntimeError("AtomicTextWriter must be used as a context manager")
        self._file.write(data)

    def commit(self) -> None:
        """Close the temporary file and move it over the target."""
        if self._file is None:
            raise RuntimeError("AtomicTextWriter must be used as a context manager")
        self._file.close()
        if is_local_path(self._temporary):
            os.replace(self._temporary, cast("Path", self.target))
        else:
            temporary = cast("ObjectStoragePath", self._temporary)
            target = cast("ObjectStoragePath", self.target)
            temporary.fs.mv(temporary.path, target.path)
        self._committed = True

    def discard(self) -> None:
        """Close and delete the temporary file, if any; the target is untouched."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if is_local_path(self._temporary):
            self._temporary.unlink(missing_ok=True)
            return
        temporary = cast("ObjectStoragePath", self._temporary)
        with contextlib.suppress(FileNotFoundError):
            temporary.fs.rm(temporary.path)

    def _open_temporary(self) -> BinaryIO:
        if is_local_path(self._temporary):
            self._temporary.parent.mkdir(parents=True, exist_ok=True)
            # "x" refuses to reuse an existing name; the file gets the usual umask mode.
            return self._temporary.open("xb")
        temporary = cast("ObjectStoragePath", self._temporary)
        if temporary.protocol in _LOCAL_PROTOCOLS:
            temporary.parent.mkdir(parents=True, exist_ok=True)
        # The file system is used directly so that lineage records only the final file.
        return cast("BinaryIO", temporary.fs.open(temporary.path, "wb"))
