"""Read a source in chunks for preparation: each row checked, fingerprinted and formatted.

A valid row comes out as the pair ``(fingerprint, body)``: the example's fingerprint
and the body of the UTF-8 JSONL line to write for it (the line is
``LINE_PREFIX + body + LINE_END``, see :mod:`~airflow_provider_tunedmodels.data.canonical`);
an invalid one as a :class:`~airflow_provider_tunedmodels.data.validation.RowError`.
Rows come in chunks, so that the work of a chunk can be done in a few calls into C.

A JSONL file is read in blocks of whole lines (:data:`BLOCK_BYTES`). A block of plain
lines (see :mod:`~airflow_provider_tunedmodels.data.canonical`), the common case, is
checked and split at once, skips the JSON codec and whitespace normalisation, and its
lines are written back as they are. A block that is not all plain is taken again in
pieces of :data:`PIECE_ROWS` lines, and a piece that is not all plain line by line;
every other record takes the general path. All paths give the same fingerprints,
lines and error messages.
"""

from __future__ import annotations

import io
import itertools
import operator
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, NamedTuple

from airflow_provider_tunedmodels.data.canonical import (
    LINE_END,
    LINE_PREFIX,
    format_example_body,
    split_plain_block,
    split_plain_line,
)
from airflow_provider_tunedmodels.data.examples import (
    ExampleSource,
    FileFormat,
    decode_jsonl_line,
    detect_format,
    is_blank,
    is_file_source,
    iter_records,
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
    valid_plain_ascii_flags,
)

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

__all__ = [
    "BLOCK_BYTES",
    "CHUNK_ROWS",
    "PIECE_ROWS",
    "CheckedChunk",
    "ValidRow",
    "iter_checked_chunks",
]

#: Records of an in-memory or CSV source read and checked together: enough to spread
#: the cost of each call over many rows, few enough for the chunk's memory not to matter.
CHUNK_ROWS = 256
#: Bytes of a JSONL file read at once (then cut after the last whole line): about a
#: thousand lines of a few hundred bytes.
BLOCK_BYTES = 1 << 18
#: Lines of a block that is not all plain tried again together.
PIECE_ROWS = 32
_UTF8_BOM = b"\xef\xbb\xbf"

#: A valid example: its fingerprint and the body of its JSONL line, UTF-8.
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
    #: The body of the JSONL line of each valid example.
    bodies: list[bytes]
    #: Why the other records are invalid.
    errors: list[RowError]


def iter_checked_chunks(
    source: ExampleSource, *, file_format: FileFormat | None, unit: str
) -> Iterator[CheckedChunk]:
    """Yield the records of ``source``, checked, in chunks.

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
        first_line = 1
        for block in line_blocks(file, BLOCK_BYTES):
            for chunk, lines in _checked_block(block, first_line):
                yield chunk
                first_line += lines


def line_blocks(file: IO[bytes], block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    r"""Yield the bytes of a binary file in blocks of whole lines.

    The byte-order mark is removed and a last line without a newline gets one, so each
    block ends with ``"\n"`` and holds as many lines as newlines, blank lines included.
    """
    parts: list[bytes] = []
    first = True
    while block := file.read(block_bytes):
        if first:
            block, first = block.removeprefix(_UTF8_BOM), False
        cut = block.rfind(b"\n") + 1
        if not cut:  # a line longer than a block
            parts.append(block)
            continue
        parts.append(block[:cut])
        yield b"".join(parts) if len(parts) > 1 else parts[0]
        parts = [block[cut:]] if cut < len(block) else []
    if parts:
        yield b"".join(parts) + b"\n"


def _checked_block(block: bytes, first_line: int) -> Iterator[tuple[CheckedChunk, int]]:
    """Check a block of whole lines, the first of which has the number ``first_line``.

    Yield each chunk with the number of lines it covers, blank lines included.
    """
    plain = split_plain_block(block)
    if plain is not None:
        yield _plain_chunk(plain.bodies, plain.inputs, plain.outputs, first_line), len(plain.bodies)
        return
    each_line = io.BytesIO(block).readlines()
    if len(each_line) <= PIECE_ROWS:
        rows = map(_checked_line, itertools.count(first_line), each_line)
        yield _sorted_out(rows), len(each_line)
        return
    for start in range(0, len(each_line), PIECE_ROWS):
        yield from _checked_block(
            b"".join(each_line[start : start + PIECE_ROWS]), first_line + start
        )


def _plain_chunk(
    bodies: list[bytes], inputs: list[bytes], outputs: list[bytes], first_line: int
) -> CheckedChunk:
    """Fingerprint plain lines and check their lengths, the invalid ones left out."""
    fingerprints = normalized_fingerprints(inputs, outputs)
    input_lengths, output_lengths = list(map(len, inputs)), list(map(len, outputs))
    if are_valid_plain_ascii(input_lengths, output_lengths):
        return CheckedChunk(len(bodies), fingerprints, bodies, [])
    valid = valid_plain_ascii_flags(input_lengths, output_lengths)
    errors = []
    for position in itertools.compress(itertools.count(first_line), map(operator.not_, valid)):
        body = bodies[position - first_line]
        error = _checked_record(position, decode_jsonl_line(LINE_PREFIX + body + LINE_END), "line")
        if not isinstance(error, RowError):  # cannot happen: the general path decides then
            rows = map(_checked_line, itertools.count(first_line), _plain_lines(bodies))
            return _sorted_out(rows)
        errors.append(error)
    return CheckedChunk(
        len(bodies),
        list(itertools.compress(fingerprints, valid)),
        list(itertools.compress(bodies, valid)),
        errors,
    )


def _plain_lines(bodies: list[bytes]) -> list[bytes]:
    return [LINE_PREFIX + body + LINE_END for body in bodies]


def _checked_line(position: int, line: bytes) -> ValidRow | RowError | None:
    """Check one line; ``None`` for a blank line, which is not a record."""
    texts = split_plain_line(line)
    if texts is not None and is_valid_plain_ascii(len(texts[0]), len(texts[1])):
        return normalized_fingerprint(*texts), line[len(LINE_PREFIX) : -len(LINE_END)]
    if is_blank(line):
        return None
    return _checked_record(position, decode_jsonl_line(line), "line")


def _checked_record(position: int, record: object, unit: str) -> ValidRow | RowError:
    result = check_record(position, record, unit=unit)
    if isinstance(result, RowError):
        return result
    fingerprint = text_fingerprint(result.text_input, result.output)
    return fingerprint, format_example_body(result.text_input, result.output).encode(WRITE_ENCODING)


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
            chunk.bodies.append(row[1])
    return chunk._replace(records=records)
