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
_SUFFIX_BYTES = _SUFFIX.encode("ascii")
_CONTROL_BYTES = bytes(range(0x20))
#: Bytes that JSON escapes inside a string: control characters, backslash, quote.
_UNPLAIN_BYTES = _CONTROL_BYTES + b'\\"'
#: Quotes in the frame of a line: prefix, separator and suffix.
_FRAME_QUOTES = (_PREFIX + _SEPARATOR + _SUFFIX).count('"')
# A plain line split at its quotes gives the frame's pieces, with the texts where the
# frame's are empty: ["{", "text_input", ": ", <input>, ", ", "output", ": ", <output>, "}"].
_FRAME_SPLIT = [piece.encode("ascii") for piece in (_PREFIX + _SEPARATOR + _SUFFIX).split('"')]
_INPUT_PIECE, _OUTPUT_PIECE = (index for index, piece in enumerate(_FRAME_SPLIT) if not piece)
_FRAME_PIECES = tuple((index, piece) for index, piece in enumerate(_FRAME_SPLIT[1:-1], 1) if piece)
_FIRST_PIECE, _LAST_PIECE = _FRAME_SPLIT[0], _FRAME_SPLIT[-1]
# Built once: json.dumps with non-default options builds a new encoder on every call.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)


def has_control_characters(text: str) -> bool:
    """Whether ``text`` contains a character below U+0020, which JSON must escape."""
    return _count_control_bytes(text.encode("utf-8", "surrogatepass")) > 0


def _count_control_bytes(data: bytes) -> int:
    # Deleting bytes is much faster than testing characters one by one. No byte of a
    # multi-byte UTF-8 sequence is below 0x80 ("surrogatepass" keeps that true even
    # for text that is not valid Unicode).
    return len(data) - len(data.translate(None, _CONTROL_BYTES))


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
    newlines = 1 if line.endswith(b"\n") else 0
    # The separator is searched from the end: outputs are usually shorter than inputs.
    separator = line.rfind(_SEPARATOR_BYTES)
    start, end = separator + len(_SEPARATOR_BYTES), len(line) - newlines - len(_SUFFIX_BYTES)
    if not (
        line.isascii()
        and line.startswith(_PREFIX_BYTES)
        and line.endswith(_SUFFIX_BYTES, 0, len(line) - newlines)
        and len(_PREFIX_BYTES) <= separator
        and start <= end
        and b"  " not in line  # the frame has no double space either
    ):
        return None
    # The frame holds eight quotes. Any more, a backslash or a control character other
    # than the final newline would need the JSON codec; one deletion pass counts them all.
    if len(line) - len(line.translate(None, _UNPLAIN_BYTES)) != _FRAME_QUOTES + newlines:
        return None
    text_input, output = line[len(_PREFIX_BYTES) : separator], line[start:end]
    return (text_input, output) if _trimmed(text_input) and _trimmed(output) else None


def split_plain_lines(lines: list[bytes]) -> tuple[list[bytes], list[bytes]] | None:
    r"""Split lines that are all plain into their inputs and outputs, else return ``None``.

    Every line but the last must end with ``"\n"``. This gives what
    :func:`split_plain_line` gives line by line, with the work done on all the lines
    at once, in C, which is much faster per line; one line that is not plain spoils
    the whole batch (``None``), to be split line by line instead.
    """
    count = len(lines)
    joined = b"".join(lines)
    # Split at every quote: in a batch of plain lines, only the texts are not frame.
    pieces = joined.split(b'"')
    if not (
        count
        and joined.isascii()
        and len(pieces) == _FRAME_QUOTES * count + 1
        and b"  " not in joined
        and _frames_match(pieces, count, last_newline=lines[-1].endswith(b"\n"))
    ):
        return None
    # The frames hold the quotes and a newline per line (but perhaps the last).
    expected = (_FRAME_QUOTES + 1) * count - (0 if lines[-1].endswith(b"\n") else 1)
    if len(joined) - len(joined.translate(None, _UNPLAIN_BYTES)) != expected:
        return None
    inputs, outputs = pieces[_INPUT_PIECE::_FRAME_QUOTES], pieces[_OUTPUT_PIECE::_FRAME_QUOTES]
    # Trimming changes no text: compared in C, each unchanged text by identity first.
    spaces = itertools.repeat(b" ")
    if list(map(bytes.strip, inputs, spaces)) != inputs:
        return None
    if list(map(bytes.strip, outputs, spaces)) != outputs:
        return None
    return inputs, outputs


def _frames_match(pieces: list[bytes], count: int, *, last_newline: bool) -> bool:
    """Whether every piece between quotes that is not a text is the frame's."""
    step = _FRAME_QUOTES
    return (
        pieces[0] == _FIRST_PIECE
        and all(pieces[index::step] == [piece] * count for index, piece in _FRAME_PIECES)
        and pieces[step:-1:step] == [_LAST_PIECE + b"\n" + _FIRST_PIECE] * (count - 1)
        and pieces[-1] == _LAST_PIECE + (b"\n" if last_newline else b"")
    )


def _trimmed(text: bytes) -> bool:
    """Whether ``text`` neither starts nor ends with a space."""
    return text.strip(b" ") == text
