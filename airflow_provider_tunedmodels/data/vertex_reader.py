"""Read a Vertex AI tuning dataset one line at a time, from a file or from memory.

A dataset is a JSONL file (local path, URI or ``ObjectStoragePath``), one example a
line, or an in-memory iterable of JSON lines (``str`` or ``bytes``) or of already
decoded objects. Either way it is read as a stream, in constant memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal, NamedTuple

from airflow_provider_tunedmodels.data.examples import (
    UnreadableRecord,
    as_record_iterable,
    decode_jsonl_line,
    is_file_source,
    iter_raw_jsonl_lines,
)
from airflow_provider_tunedmodels.data.storage import Location, resolve_location

__all__ = [
    "DatasetKind",
    "DatasetLine",
    "DatasetSource",
    "check_kind",
    "iter_dataset_lines",
    "not_an_object",
]

#: The two dataset layouts: supervised (``contents``) and preference (``completions``).
DatasetKind = Literal["supervised", "preference"]
#: A JSONL file, or JSON lines or decoded objects in memory.
DatasetSource = Location | Iterable[str | bytes | Mapping[str, Any]]

_KINDS = ("supervised", "preference")
_JSON_TYPE_NAMES = {list: "a list", str: "a string", int: "a number", float: "a number"}
# An in-memory object weighs what its compact JSON line (as Google's samples are) weighs.
_COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class DatasetLine(NamedTuple):
    """One example of a dataset: where it is, what it says, and its bytes."""

    #: 1-based line number in a file, or item index in memory.
    position: int
    #: ``"line"`` or ``"item"``, to locate the example in messages.
    unit: str
    #: The decoded JSON value, or an :class:`UnreadableRecord` for broken JSON.
    record: object
    #: The line as stored (with its line ending, if any); compact JSON for an object.
    raw: bytes


def check_kind(kind: str) -> None:
    """Raise :class:`ValueError` unless ``kind`` is ``"supervised"`` or ``"preference"``."""
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'supervised' or 'preference', got {kind!r}")


def iter_dataset_lines(source: DatasetSource) -> Iterator[DatasetLine]:
    """Yield every example of ``source`` as a :class:`DatasetLine`; blank lines are skipped."""
    if is_file_source(source):
        for line_number, raw_line in iter_raw_jsonl_lines(resolve_location(source)):
            yield DatasetLine(line_number, "line", decode_jsonl_line(raw_line), raw_line)
        return
    for position, item in enumerate(as_record_iterable(source), start=1):
        if isinstance(item, str):
            item = item.encode("utf-8", "surrogatepass")
        if isinstance(item, (bytes, bytearray)):
            if item.strip():
                yield DatasetLine(position, "item", decode_jsonl_line(bytes(item)), bytes(item))
        elif isinstance(item, Mapping):
            raw = _COMPACT_ENCODER.encode(item).encode("utf-8", "surrogatepass") + b"\n"
            yield DatasetLine(position, "item", item, raw)
        else:
            yield DatasetLine(position, "item", item, b"")


def not_an_object(record: object) -> str:
    """Say why ``record``, which is not a mapping, is not an example."""
    if isinstance(record, UnreadableRecord):
        return record.reason
    if record is None or isinstance(record, bool):
        found = json.dumps(record)
    else:
        found = _JSON_TYPE_NAMES.get(type(record), type(record).__name__)
    return f"expected a JSON object, got {found}"
