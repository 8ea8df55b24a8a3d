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
from typing import NamedTuple

__all__ = [
    "LINE_END",
    "LINE_JOINER",
    "LINE_PREFIX",
    "PlainBlock",
    "format_example_body",
    "format_example_line",
    "has_control_characters",
    "split_plain_block",
    "split_plain_line",
    "split_plain_lines",
]

_PREFIX = '{"text_input": "'
_SEPARATOR = '", "output": "'
_SUFFIX = '"}'
_PREFIX_BYTES = _PREFIX.encode("ascii")
_SEPARATOR_BYTES = _SEPARATOR.encode("ascii")
#: How every written line starts.
LINE_PREFIX = _PREFIX_BYTES
#: How every written line ends.
LINE_END = _SUFFIX.encode("ascii") + b"\n"
#: What stands between the bodies of two consecutive written lines.
LINE_JOINER = LINE_END + LINE_PREFIX
#: Every byte below 0x20 turned into NUL (itself one), the others left alone: looking
#: for NUL after translating with a table is faster than testing characters.
_CONTROLS_TO_NUL = bytes(0 if byte < 0x20 else byte for byte in range(256))
#: What a text may not hold unescaped, one byte string each: control characters, the
#: quote and the backslash. Looking for each with memchr beats a pass of translate.
_TEXT_ESCAPES = tuple(bytes([byte]) for byte in (*range(0x20), *b'"\\'))
_SEPARATOR_FOUND = operator.itemgetter(1)
_INPUT_PART = operator.itemgetter(0)
_OUTPUT_PART = operator.itemgetter(2)
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
    return f"{_PREFIX}{format_example_body(text_input, output)}{_SUFFIX}\n"


def format_example_body(text_input: str, output: str) -> str:
    """Return the part of :func:`format_example_line` between :data:`LINE_PREFIX` and the end.

    Every line this package writes is ``LINE_PREFIX + body + LINE_END``, so consecutive
    lines are ``LINE_PREFIX + LINE_JOINER.join(bodies) + LINE_END``.
    """
    if _needs_no_escaping(text_input) and _needs_no_escaping(output):
        return f"{text_input}{_SEPARATOR}{output}"
    return _JSON_ENCODER.encode({"text_input": text_input, "output": output})[
        len(_PREFIX) : -len(_SUFFIX)
    ]


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
    perhaps not. One line that is not plain spoils the whole batch (``None``): split
    it line by line with :func:`split_plain_line` then.
    """
    if not lines:
        return None
    data = b"".join(lines)
    if not data.endswith(b"\n"):
        data += b"\n"
    split = split_plain_block(data)
    if split is None or len(split.bodies) != len(lines):  # a line was two
        return None
    return split.inputs, split.outputs


class PlainBlock(NamedTuple):
    """The parts of a block of plain lines, one item per line, in order."""

    #: What each line holds between :data:`LINE_PREFIX` and :data:`LINE_END`.
    bodies: list[bytes]
    #: Each line's input text, as JSON and UTF-8 (and ASCII) have it.
    inputs: list[bytes]
    #: Each line's output text.
    outputs: list[bytes]


def split_plain_block(data: bytes) -> PlainBlock | None:
    r"""Split consecutive lines that are all plain, else return ``None``.

    Each line of ``data`` ends with a newline. The checks are
    made for the whole block at once, in C, which is much faster per line than
    looking at lines one by one:

    * ``data`` starts with :data:`LINE_PREFIX`, ends with :data:`LINE_END` and splits
      at :data:`LINE_JOINER` (which holds the only newline a line may have) into one
      body per line, and each body holds the separator: every line is then
      ``LINE_PREFIX + input + separator + output + LINE_END``;
    * the texts, joined by single spaces, are ASCII, hold no quote (so the frame is
      the only one), backslash or control character, and no two spaces in a row:
      no text starts or ends with a space or holds two in a row.
    """
    if not (data.startswith(_PREFIX_BYTES) and data.endswith(LINE_END)):
        return None
    bodies = data.split(LINE_JOINER)
    bodies[0] = bodies[0][len(_PREFIX_BYTES) :]
    bodies[-1] = bodies[-1][: -len(LINE_END)]
    parts = list(map(bytes.partition, bodies, itertools.repeat(_SEPARATOR_BYTES)))
    if not all(map(_SEPARATOR_FOUND, parts)):
        return None
    inputs, outputs = list(map(_INPUT_PART, parts)), list(map(_OUTPUT_PART, parts))
    # Empty texts are left out: they are plain, but would look like two spaces.
    texts = b" ".join(filter(None, itertools.chain(inputs, outputs)))
    if (
        texts.isascii()
        and not texts.startswith(b" ")
        and not texts.endswith(b" ")
        and b"  " not in texts
        and not any(map(texts.__contains__, _TEXT_ESCAPES))
    ):
        return PlainBlock(bodies, inputs, outputs)
    return None
