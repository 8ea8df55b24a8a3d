"""The JSONL line this package writes for an example, and a fast reader for it.

Every example is written as ``{"text_input": "...", "output": "..."}``: key order,
``", "`` and ``": "`` separators and the escaping of :func:`json.dumps` with
``ensure_ascii=False`` (only ``"``, ``\\`` and control characters are escaped;
other characters are written as they are).

Most lines of a real dataset (and every line this package wrote) are plain: ASCII,
in that format, with nothing escaped. Their texts are the bytes between the quotes,
so they can be read with a few byte-string operations, several times faster than
the JSON codec, and written back unchanged. Anything else goes through :mod:`json`,
so the result is the same either way.
"""

from __future__ import annotations

import json

__all__ = ["format_example_line", "has_control_characters", "split_plain_line"]

_PREFIX = '{"text_input": "'
_SEPARATOR = '", "output": "'
_SUFFIX = '"}'
_PREFIX_BYTES = _PREFIX.encode("ascii")
_SEPARATOR_BYTES = _SEPARATOR.encode("ascii")
_SUFFIX_BYTES = _SUFFIX.encode("ascii")
_NEWLINE = b"\n"
_CONTROL_BYTES = bytes(range(0x20))
#: Bytes that JSON escapes inside a string: control characters, backslash, quote.
_UNPLAIN_BYTES = _CONTROL_BYTES + b'\\"'
#: Quotes in the frame of a line: prefix, separator and suffix.
_FRAME_QUOTES = (_PREFIX + _SEPARATOR + _SUFFIX).count('"')
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
    """Split a plain line into its ASCII ``(text_input, output)``, or return ``None``.

    A line is plain when it is ASCII, in the written format, with nothing escaped,
    and ends with ``"\n"`` or nothing: then the texts are what :func:`json.loads`
    would read, they hold no control character (so no whitespace but spaces), and
    the line is what :func:`format_example_line` writes for them. Any other line
    (other keys, order, spacing, escapes, non-ASCII text, ``"\r\n"``) gives ``None``
    and is for the JSON codec.
    """
    newlines = 1 if line.endswith(_NEWLINE) else 0
    # The separator is searched from the end: outputs are usually shorter than inputs.
    separator = line.rfind(_SEPARATOR_BYTES)
    start, end = separator + len(_SEPARATOR_BYTES), len(line) - newlines - len(_SUFFIX_BYTES)
    if not (
        line.isascii()
        and line.startswith(_PREFIX_BYTES)
        and line.endswith(_SUFFIX_BYTES, 0, len(line) - newlines)
        and len(_PREFIX_BYTES) <= separator
        and start <= end
    ):
        return None
    # The frame holds eight quotes. Any more, a backslash or a control character other
    # than the final newline would need the JSON codec; one deletion pass counts them all.
    if len(line) - len(line.translate(None, _UNPLAIN_BYTES)) != _FRAME_QUOTES + newlines:
        return None
    return line[len(_PREFIX_BYTES) : separator], line[start:end]
