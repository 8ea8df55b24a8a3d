r"""The JSONL line this package writes for an example, and a fast reader for plain lines.

Every example is written as ``{"text_input": "...", "output": "..."}``: key order,
``", "`` and ``": "`` separators and the escaping of :func:`json.dumps` with
``ensure_ascii=False`` (only ``"``, ``\`` and control characters are escaped;
other characters are written as they are).

Most lines of a real dataset (and every line this package wrote) are *plain*: they
need neither the JSON decoder nor whitespace normalisation. A plain line is

* ASCII, in the written format exactly, ending with ``"\n"`` or nothing;
* without escapes: its texts hold no quote, backslash or control character, so no
  whitespace but spaces;
* single-spaced: no text starts or ends with a space or has two in a row, so
  :func:`~airflow_provider_tunedmodels.data.fingerprint.normalize_whitespace`
  leaves its texts unchanged.

Its texts are then the bytes between the quotes, exactly what :func:`json.loads`
reads, and the line is exactly what :func:`format_example_line` writes for them.
Plain lines are recognised with a few byte-string operations, several times faster
than the JSON codec; everything else goes through :mod:`json`, so the result is the
same either way.
"""

from __future__ import annotations

import itertools
import json
import operator
from typing import cast

__all__ = [
    "format_example_line",
    "has_control_characters",
    "split_plain_line",
    "split_plain_lines",
]

_PREFIX = '{"text_input": "'
_SEPARATOR = '", "output": "'
_SUFFIX = '"}'
_PREFIX_BYTES = _PREFIX.encode("ascii")
_SEPARATOR_BYTES = _SEPARATOR.encode("ascii")
_LINE_END = _SUFFIX.encode("ascii") + b"\n"
#: Every byte below 0x20 turned into NUL (itself one), the others left alone: looking
#: for NUL after translating with a table is faster than testing characters.
_CONTROLS_TO_NUL = bytes(0 if byte < 0x20 else byte for byte in range(256))
#: What a text may not hold unescaped, one byte string each: control characters, the
#: quote and the backslash. Looking for each with memchr beats a pass of translate.
_TEXT_ESCAPES = tuple(bytes([byte]) for byte in (*range(0x20), *b'"\\'))
# Built once: json.dumps with non-default options builds a new encoder on every call.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)


def has_control_characters(text: str) -> bool:
    """Whether ``text`` contains a character below U+0020, which JSON must escape."""
    # No byte of a multi-byte UTF-8 sequence is below 0x80 ("surrogatepass" keeps that
    # true even for text that is not valid Unicode), so bytes can be looked at.
    return b"\0" in text.encode("utf-8", "surrogatepass").translate(_CONTROLS_TO_NUL)


def _needs_no_escaping(text: str) -> bool:
    """Whether the JSON encoder writes ``text`` between the quotes exactly as it is."""
    return '"' not in text and "\\" not in text and not has_control_characters(text)


def format_example_line(text_input: str, output: str) -> str:
    """Return the JSONL line of an example, newline included."""
    if _needs_no_escaping(text_input) and _needs_no_escaping(output):
        return f"{_PREFIX}{text_input}{_SEPARATOR}{output}{_SUFFIX}\n"
    return _JSON_ENCODER.encode({"text_input": text_input, "output": output}) + "\n"


def split_plain_line(line: bytes) -> tuple[bytes, bytes] | None:
    r"""Split a plain line into its ``(text_input, output)``, or return ``None``.

    See the module docstring for what a plain line is. Any other line (other keys,
    order or spacing, escapes, non-ASCII text, ``"\r\n"``, untrimmed texts) gives
    ``None`` and is for the JSON codec.
    """
    texts = split_plain_lines([line])
    return (texts[0][0], texts[1][0]) if texts is not None else None


def split_plain_lines(lines: list[bytes]) -> tuple[list[bytes], list[bytes]] | None:
    r"""Split lines that are all plain into their inputs and outputs, else return ``None``.

    The lines are as a binary file yields them: each ends with a newline, the last
    perhaps not. Every step is done for all the lines at once, in C (``map`` over C
    functions, scans of the joined texts), which is much faster per line than a loop.
    One line that is not plain spoils the whole batch (``None``): split it line by
    line with :func:`split_plain_line` then.
    """
    if not lines:
        return None
    if not lines[-1].endswith(b"\n"):
        lines = [*lines[:-1], lines[-1] + b"\n"]
    # The separator is searched from the end: outputs are usually shorter than inputs.
    separators = list(map(bytes.rfind, lines, itertools.repeat(_SEPARATOR_BYTES)))
    # Each line must hold prefix, separator and suffix, in that order, without overlap.
    frame_ends = map(operator.add, separators, itertools.repeat(len(_SEPARATOR_BYTES + _LINE_END)))
    if not (
        all(map(bytes.startswith, lines, itertools.repeat(_PREFIX_BYTES)))
        and all(map(bytes.endswith, lines, itertools.repeat(_LINE_END)))
        and min(separators) >= len(_PREFIX_BYTES)
        and all(map(operator.le, frame_ends, map(len, lines)))
    ):
        return None
    starts = map(slice, itertools.repeat(len(_PREFIX_BYTES)), separators)
    inputs = cast("list[bytes]", list(map(operator.getitem, lines, starts)))
    output_starts = map(operator.add, separators, itertools.repeat(len(_SEPARATOR_BYTES)))
    ends = map(slice, output_starts, itertools.repeat(-len(_LINE_END)))
    outputs = cast("list[bytes]", list(map(operator.getitem, lines, ends)))
    return (inputs, outputs) if _are_plain(inputs, outputs) else None


def _are_plain(inputs: list[bytes], outputs: list[bytes]) -> bool:
    """Whether the texts hold nothing to escape and need no whitespace normalisation.

    With no quote, backslash or control character, the texts end where the frame
    says, JSON reads them as they are, and their only whitespace is spaces: then
    they are normalised if no space leads, trails or follows another.
    """
    # Trimming changes no text: compared in C, each unchanged text by identity first.
    spaces = itertools.repeat(b" ")
    return (
        _nothing_to_escape_or_collapse(b"".join(inputs))
        and _nothing_to_escape_or_collapse(b"".join(outputs))
        and list(map(bytes.strip, inputs, spaces)) == inputs
        and list(map(bytes.strip, outputs, spaces)) == outputs
    )


def _nothing_to_escape_or_collapse(texts: bytes) -> bool:
    """Whether joined texts are ASCII, with nothing to escape and no double space."""
    return (
        texts.isascii() and b"  " not in texts and not any(map(texts.__contains__, _TEXT_ESCAPES))
    )
