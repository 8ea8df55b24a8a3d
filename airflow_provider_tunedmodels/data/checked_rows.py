"""Read a source in chunks for preparation: each row checked, fingerprinted and formatted.

A valid row comes out as the pair ``(fingerprint, line)``: the example's fingerprint
and the UTF-8 JSONL line to write for it; an invalid one as a
:class:`~airflow_provider_tunedmodels.data.validation.RowError`. Rows come in chunks of
:data:`CHUNK_ROWS`, so that the work of a chunk can be done in a few calls into C.

Plain lines of a JSONL file (see :mod:`~airflow_provider_tunedmodels.data.canonical`),
the common case, skip the JSON codec and whitespace normalisation and are written
back as they are; every other record takes the general path. Both paths give the
same fingerprints, lines and error messages.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from airflow_provider_tunedmodels.data.canonical import split_plain_line, split_plain_lines
from airflow_provider_tunedmodels.data.examples import (
    ExampleSource,
    FileFormat,
    decode_jsonl_line,
    detect_format,
    format_jsonl_line,
    is_blank,
    is_file_source,
    iter_records,
    lines_without_bom,
)
from airflow_provider_tunedmodels.data.fingerprint import (
    normalized_fingerprint,
    normalized_fingerprints,
    text_fingerprint,
)
from airflow_provider_tunedmodels.data.storage import WRITE_ENCODING, open_binary, resolve_location
from airflow_provider_tunedmodels.data.validation import (
    RowError,
    are_valid_plain_ascii,
    check_record,
    is_valid_plain_ascii,
)

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

__all__ = ["CHUNK_ROWS", "CheckedChunk", "ValidRow", "iter_checked_chunks"]

#: Records read and checked together: enough to spread the cost of each call over
#: many rows, few enough for the chunk's memory not to matter.
CHUNK_ROWS = 256

#: A valid example: its fingerprint and its JSONL line, UTF-8, newline included.
ValidRow = tuple[bytes, bytes]


class CheckedChunk(NamedTuple):
    """The records of one chunk, sorted out, in order.

    The valid examples come as two parallel lists, so that a whole chunk can be
    filtered and written without a Python step per row.
    """

    #: How many records the chunk held (blank lines are not records).
    records: int
    #: The fingerprint of each valid example.
    fingerprints: list[bytes]
    #: The JSONL line of each valid example.
    lines: list[bytes]
    #: Why the other records are invalid.
    errors: list[RowError]


def iter_checked_chunks(
    source: ExampleSource, *, file_format: FileFormat | None, unit: str
) -> Iterator[CheckedChunk]:
    """Yield the records of ``source``, checked, in chunks of up to :data:`CHUNK_ROWS`.

    ``unit`` names a position in error messages (``"line"`` or ``"item"``).
    """
    if is_file_source(source):
        location = resolve_location(source)
        if (file_format or detect_format(location)) == "jsonl":
            yield from _jsonl_chunks(location)
            return
    records = iter_records(source, file_format=file_format)
    while batch := list(itertools.islice(records, CHUNK_ROWS)):
        yield _sorted_out(_checked_record(position, record, unit) for position, record in batch)


def _jsonl_chunks(location: Path | ObjectStoragePath) -> Iterator[CheckedChunk]:
    with open_binary(location) as file:
        lines = lines_without_bom(file)
        first_line = 1
        while batch := list(itertools.islice(lines, CHUNK_ROWS)):
            if not batch[-1].endswith(b"\n"):  # the file's last line: written with its newline
                batch[-1] += b"\n"
            yield _checked_lines(batch, first_line)
            first_line += len(batch)


def _checked_lines(lines: list[bytes], first_line: int) -> CheckedChunk:
    """Check consecutive lines, the first of which has the number ``first_line``."""
    texts = split_plain_lines(lines)
    if texts is None:  # some line is not plain: line by line, then
        return _sorted_out(map(_checked_line, itertools.count(first_line), lines))
    inputs, outputs = texts
    fingerprints = normalized_fingerprints(inputs, outputs)
    if are_valid_plain_ascii(list(map(len, inputs)), list(map(len, outputs))):
        return CheckedChunk(len(lines), fingerprints, lines, [])
    rows: list[ValidRow | RowError] = []
    for position, line, fingerprint, text_input, output in zip(
        itertools.count(first_line), lines, fingerprints, inputs, outputs
    ):
        if is_valid_plain_ascii(len(text_input), len(output)):
            rows.append((fingerprint, line))
        else:  # the general path writes the message
            rows.append(_checked_record(position, decode_jsonl_line(line), "line"))
    return _sorted_out(rows)


def _checked_line(position: int, line: bytes) -> ValidRow | RowError | None:
    """Check one line; ``None`` for a blank line, which is not a record."""
    texts = split_plain_line(line)
    if texts is not None and is_valid_plain_ascii(len(texts[0]), len(texts[1])):
        return normalized_fingerprint(*texts), line
    if is_blank(line):
        return None
    return _checked_record(position, decode_jsonl_line(line), "line")


def _checked_record(position: int, record: object, unit: str) -> ValidRow | RowError:
    result = check_record(position, record, unit=unit)
    if isinstance(result, RowError):
        return result
    fingerprint = text_fingerprint(result.text_input, result.output)
    return fingerprint, format_jsonl_line(result).encode(WRITE_ENCODING)


def _sorted_out(rows: Iterable[ValidRow | RowError | None]) -> CheckedChunk:
    chunk = CheckedChunk(0, [], [], [])
    records = 0
    for row in rows:
        if row is None:
            continue
        records += 1
        if isinstance(row, RowError):
            chunk.errors.append(row)
        else:
            chunk.fingerprints.append(row[0])
            chunk.lines.append(row[1])
    return chunk._replace(records=records)
