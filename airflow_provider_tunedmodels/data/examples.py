"""Training examples, and streaming readers and writers for JSONL and CSV files.

A source of examples is one of:

* a JSONL file: one JSON object per line, blank lines ignored;
* a CSV file with a header row;
* an in-memory iterable (an upstream task's output) of mappings, ``(input, output)``
  pairs or :class:`Example` objects.

Files are local paths or any ``airflow.sdk.ObjectStoragePath`` URI (``file://``,
``s3://``, ``gs://``, ... when the matching provider is installed). Records are read
one at a time, so memory does not grow with the size of the file.

Keys are matched case-sensitively against these spellings:

* input: ``text_input``, ``textInput``, ``input``, ``prompt`` (optional: the API
  treats ``textInput`` as optional, so a missing input reads as ``""``);
* output: ``output``, ``completion``, ``target``.

Other keys (an id, a category, ...) are ignored. Files written by this package use
``text_input`` and ``output``.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeGuard, cast

from airflow_provider_tunedmodels.data.canonical import format_example_line
from airflow_provider_tunedmodels.data.errors import InvalidRecordError, SourceFormatError
from airflow_provider_tunedmodels.data.storage import (
    AtomicTextWriter,
    Location,
    is_object_storage_path,
    open_binary,
    open_text,
    resolve_location,
)

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

__all__ = [
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "Example",
    "ExampleSource",
    "FileFormat",
    "UnreadableRecord",
    "as_record_iterable",
    "decode_jsonl_line",
    "detect_format",
    "example_from_record",
    "format_jsonl_line",
    "is_blank",
    "is_file_source",
    "iter_examples",
    "iter_raw_jsonl_lines",
    "iter_records",
    "lines_without_bom",
    "write_jsonl",
]

#: Accepted spellings of an example's input, in order of preference.
INPUT_KEYS: tuple[str, ...] = ("text_input", "textInput", "input", "prompt")
#: Accepted spellings of an example's output, in order of preference.
OUTPUT_KEYS: tuple[str, ...] = ("output", "completion", "target")

#: File formats understood by the readers.
FileFormat = Literal["jsonl", "csv"]
#: Anything the readers accept: a file location or an in-memory iterable of records.
ExampleSource = Location | Iterable[object]

_SUFFIX_FORMATS: dict[str, FileFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Example:
    """One tuning example: the text given to the model and the text it should answer."""

    text_input: str
    output: str

    def to_record(self) -> dict[str, str]:
        """Return the example as the JSON object written to JSONL files."""
        return {"text_input": self.text_input, "output": self.output}


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """Stands in for a line that could not be parsed at all (for example broken JSON)."""

    reason: str


def is_file_source(source: ExampleSource) -> TypeGuard[Location]:
    """Return whether ``source`` names a file rather than an in-memory iterable."""
    return isinstance(source, (str, os.PathLike)) or is_object_storage_path(source)


def detect_format(location: Path | ObjectStoragePath) -> FileFormat:
    """Guess the file format from the suffix: ``.jsonl``/``.ndjson`` or ``.csv``."""
    suffix = location.suffix.lower()
    try:
        return _SUFFIX_FORMATS[suffix]
    except KeyError:
        raise SourceFormatError(
            f"cannot tell the format of {location} from its suffix {suffix!r}; "
            "pass file_format='jsonl' or file_format='csv'"
        ) from None


def iter_records(
    source: ExampleSource, *, file_format: FileFormat | None = None
) -> Iterator[tuple[int, object]]:
    """Yield ``(position, raw_record)`` for every record of ``source``, one at a time.

    ``position`` is the 1-based line number in a file (for a CSV record spanning
    several lines, the line it starts on; the header is line 1), or the 1-based
    index of the item in an in-memory iterable. A JSONL line that is not valid
    JSON is yielded as an :class:`UnreadableRecord`; blank lines are skipped.

    Raises:
        SourceFormatError: the format is unknown, or a CSV header has no output column.
    """
    if not is_file_source(source):
        yield from enumerate(as_record_iterable(source), start=1)
        return
    location = resolve_location(source)
    chosen = file_format or detect_format(location)
    if chosen == "jsonl":
        yield from _iter_jsonl(location)
    elif chosen == "csv":
        yield from _iter_csv(location)
    else:
        raise SourceFormatError(f"unknown file_format {chosen!r}; use 'jsonl' or 'csv'")


def as_record_iterable(source: object) -> Iterable[object]:
    """Return ``source`` as an iterable of records, or raise a :class:`TypeError`."""
    # A mapping or a byte string is iterable, but iterating it never yields records.
    if isinstance(source, (Mapping, bytes, bytearray)) or not isinstance(source, Iterable):
        raise TypeError(
            "expected a file path, a URI, an ObjectStoragePath or an iterable of records, "
            f"got {type(source).__name__}"
        )
    return cast("Iterable[object]", source)


def _iter_jsonl(location: Path | ObjectStoragePath) -> Iterator[tuple[int, object]]:
    for line_number, raw_line in iter_raw_jsonl_lines(location):
        yield line_number, decode_jsonl_line(raw_line)


def iter_raw_jsonl_lines(location: Path | ObjectStoragePath) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, raw_line)`` for every non-blank line of a JSONL file.

    Lines are bytes, line ending included, byte-order mark removed, and are decoded
    one by one (see :func:`decode_jsonl_line`) so that bad UTF-8 spoils only its line.
    """
    with open_binary(location) as lines:
        for line_number, raw_line in enumerate(lines_without_bom(lines), start=1):
            if not is_blank(raw_line):
                yield line_number, raw_line


def lines_without_bom(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Return the lines of a binary file with the byte-order mark removed, blanks included.

    Lines are then read in C, with no Python code per line, for the hottest loops.
    """
    remaining = iter(lines)
    first = next(remaining, None)
    if first is None:
        return iter(())
    return itertools.chain((first.removeprefix(_UTF8_BOM),), remaining)


def is_blank(raw_line: bytes) -> bool:
    """Whether a line holds only whitespace (as ``strip()`` would say, without a copy)."""
    return not raw_line or raw_line.isspace()


def decode_jsonl_line(raw_line: bytes) -> object:
    """Decode one raw JSONL line, or return an :class:`UnreadableRecord` saying why not."""
    try:
        text = raw_line.decode("utf-8")
    except UnicodeDecodeError as error:
        return UnreadableRecord(f"not valid UTF-8 (byte {error.start + 1} of the line)")
    try:
        return json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as error:
        return UnreadableRecord(f"not valid JSON ({error.msg} at column {error.colno})")


def _iter_csv(location: Path | ObjectStoragePath) -> Iterator[tuple[int, object]]:
    with open_text(location, newline="") as lines:
        reader = csv.reader(lines, strict=True)
        try:
            header = _read_csv_header(reader, location)
            previous_end = reader.line_num
            for fields in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if fields:  # the csv module returns [] for a blank line
                    yield start, _csv_record(header, fields)
        except (csv.Error, UnicodeDecodeError) as error:
            # The csv module cannot resume after a parse error, so the whole file fails.
            raise SourceFormatError(
                f"{location}: near line {max(reader.line_num, 1)}: "
                f"cannot read the CSV file ({error})"
            ) from error


def _csv_record(header: list[str], fields: list[str]) -> object:
    if len(fields) > len(header):
        return UnreadableRecord("row has more fields than the header")
    if len(fields) < len(header):
        return UnreadableRecord("row has fewer fields than the header")
    return dict(zip(header, fields, strict=True))


def _read_csv_header(reader: Iterator[list[str]], location: Path | ObjectStoragePath) -> list[str]:
    header = next(reader, None)
    if not header:
        raise SourceFormatError(f"{location}: the CSV file is empty; a header row is required")
    if not any(key in header for key in OUTPUT_KEYS):
        raise SourceFormatError(
            f"{location}: the CSV header {header} has no output column "
            f"(expected one of {', '.join(OUTPUT_KEYS)})"
        )
    return header


def example_from_record(record: object) -> Example:
    """Build an :class:`Example` from one raw record.

    A record is a mapping using one of the accepted key spellings, a two-item
    ``(input, output)`` sequence, or an :class:`Example`. A missing or ``None``
    input reads as ``""``. Only the shape is checked here; the documented limits
    are checked by :mod:`airflow_provider_tunedmodels.data.validation`.

    Raises:
        InvalidRecordError: the record has no output, an ambiguous key, or a non-string value.
    """
    if type(record) is dict:  # the usual case, tested first: the Mapping check is slower
        return _example_from_mapping(record)
    if isinstance(record, Example):
        return record
    if isinstance(record, UnreadableRecord):
        raise InvalidRecordError(record.reason)
    if isinstance(record, Mapping):
        return _example_from_mapping(record)
    if isinstance(record, Sequence) and not isinstance(record, (str, bytes)):
        if len(record) != 2:
            raise InvalidRecordError(
                f"a sequence record needs exactly 2 items (input, output), got {len(record)}"
            )
        return Example(
            text_input=_as_text(record[0], "input", required=False),
            output=_as_text(record[1], "output", required=True),
        )
    raise InvalidRecordError(
        f"expected an object with input and output, got {type(record).__name__}"
    )


def _example_from_mapping(record: Mapping[object, object]) -> Example:
    if len(record) == 2 and "text_input" in record and "output" in record:
        # The spelling this package writes, with no room for a clashing one.
        return Example(
            text_input=_as_text(record["text_input"], "input", required=False),
            output=_as_text(record["output"], "output", required=True),
        )
    return Example(
        text_input=_pick_text(record, INPUT_KEYS, "input", required=False),
        output=_pick_text(record, OUTPUT_KEYS, "output", required=True),
    )


def _pick_text(
    record: Mapping[object, object], keys: tuple[str, ...], field: str, *, required: bool
) -> str:
    present = [key for key in keys if key in record]
    if len(present) > 1:
        raise InvalidRecordError(
            f"{field} is given twice ({' and '.join(present)}); keep only one of them"
        )
    value = record[present[0]] if present else None
    return _as_text(value, field, required=required)


def _as_text(value: object, field: str, *, required: bool) -> str:
    if value is None:
        if required:
            raise InvalidRecordError(f"{field} is missing")
        return ""
    if not isinstance(value, str):
        raise InvalidRecordError(f"{field} must be a string, got {type(value).__name__}")
    return value


def iter_examples(
    source: ExampleSource, *, file_format: FileFormat | None = None
) -> Iterator[Example]:
    """Yield the examples of ``source`` one at a time, stopping at the first bad record.

    This is the strict reader for consumers that trust their input (for example an
    evaluation set produced by :func:`~airflow_provider_tunedmodels.data.prepare_tuning_dataset`).
    Use :func:`iter_records` with :func:`example_from_record` to handle bad records
    one by one instead.

    Raises:
        InvalidRecordError: a record cannot be read; the message starts with its position.
    """
    unit = "line" if is_file_source(source) else "item"
    for position, record in iter_records(source, file_format=file_format):
        try:
            yield example_from_record(record)
        except InvalidRecordError as error:
            raise InvalidRecordError(f"{unit} {position}: {error}") from None


def format_jsonl_line(example: Example) -> str:
    """Return ``example`` as one JSONL line, newline included (non-ASCII kept as is)."""
    return format_example_line(example.text_input, example.output)


def write_jsonl(examples: Iterable[Example], destination: Location) -> int:
    """Write ``examples`` to ``destination`` as JSONL and return how many were written.

    The file is written under a temporary name and moved into place at the end, so
    readers never see a half-written file and a failure leaves the old file (if
    any) untouched.
    """
    count = 0
    with AtomicTextWriter(resolve_location(destination)) as writer:
        for example in examples:
            writer.write(format_jsonl_line(example))
            count += 1
        writer.commit()
    return count
