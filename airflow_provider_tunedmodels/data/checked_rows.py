"""Read a source row by row for preparation: each row checked, fingerprinted and formatted.

A row comes out either as a :class:`~airflow_provider_tunedmodels.data.validation.RowError`
or as the pair ``(fingerprint, line)``: the example's fingerprint and the UTF-8 JSONL
line to write for it. Plain lines of a JSONL file (see
:func:`~airflow_provider_tunedmodels.data.canonical.split_plain_line`), the common
case, skip the JSON codec and are written back as they are; every other record takes
the general path. Both paths give the same fingerprints, lines and error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from airflow_provider_tunedmodels.data.canonical import split_plain_line
from airflow_provider_tunedmodels.data.examples import (
    ExampleSource,
    FileFormat,
    decode_jsonl_line,
    detect_format,
    format_jsonl_line,
    is_file_source,
    iter_raw_jsonl_lines,
    iter_records,
)
from airflow_provider_tunedmodels.data.fingerprint import (
    is_single_spaced,
    normalized_fingerprint,
    text_fingerprint,
)
from airflow_provider_tunedmodels.data.storage import WRITE_ENCODING, resolve_location
from airflow_provider_tunedmodels.data.validation import (
    RowError,
    check_record,
    is_valid_plain_ascii,
)

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

__all__ = ["ValidRow", "iter_checked_rows"]

#: A valid example: its fingerprint and its JSONL line, UTF-8, newline included.
ValidRow = tuple[bytes, bytes]


def iter_checked_rows(
    source: ExampleSource, *, file_format: FileFormat | None, unit: str
) -> Iterator[ValidRow | RowError]:
    """Yield every record of ``source`` as a :data:`ValidRow` or a :class:`RowError`.

    ``unit`` names a position in error messages (``"line"`` or ``"item"``).
    """
    if is_file_source(source):
        location = resolve_location(source)
        if (file_format or detect_format(location)) == "jsonl":
            yield from _checked_jsonl_rows(location)
            return
    for position, record in iter_records(source, file_format=file_format):
        yield _checked_record(position, record, unit)


def _checked_jsonl_rows(location: Path | ObjectStoragePath) -> Iterator[ValidRow | RowError]:
    for position, raw_line in iter_raw_jsonl_lines(location):
        plain_row = _plain_row(raw_line)
        if plain_row is not None:
            yield plain_row
        else:
            yield _checked_record(position, decode_jsonl_line(raw_line), "line")


def _plain_row(raw_line: bytes) -> ValidRow | None:
    """Return the row of a plain line with normalised, valid texts; else ``None``.

    That is most lines. The others (``None``) take the general path, which also
    writes the error messages.
    """
    texts = split_plain_line(raw_line)
    if texts is None:
        return None
    text_input, output = texts
    if not (
        is_single_spaced(text_input)
        and is_single_spaced(output)
        and is_valid_plain_ascii(len(text_input), len(output))
    ):
        return None
    line = raw_line if raw_line.endswith(b"\n") else raw_line + b"\n"
    return normalized_fingerprint(text_input, output), line


def _checked_record(position: int, record: object, unit: str) -> ValidRow | RowError:
    result = check_record(position, record, unit=unit)
    if isinstance(result, RowError):
        return result
    fingerprint = text_fingerprint(result.text_input, result.output)
    return fingerprint, format_jsonl_line(result).encode(WRITE_ENCODING)
