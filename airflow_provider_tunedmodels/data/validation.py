"""Check tuning examples against the documented limits of the Gemini API.

Rules (limits from :mod:`airflow_provider_tunedmodels.models.gemini.limits`):

* ``output`` is required and must contain something other than whitespace;
* ``output`` is at most ``MAX_EXAMPLE_OUTPUT_CHARS`` (5,000) characters;
* ``text_input`` may be empty (the API treats ``textInput`` as optional) and is at
  most ``MAX_EXAMPLE_INPUT_CHARS`` (40,000) characters;
* both texts must be encodable as UTF-8 (JSON allows unpaired surrogates, the API
  does not).

Characters are counted as Python counts them: Unicode code points.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from airflow_provider_tunedmodels.data.errors import InvalidRecordError
from airflow_provider_tunedmodels.data.examples import Example, example_from_record
from airflow_provider_tunedmodels.models.gemini.limits import (
    MAX_EXAMPLE_INPUT_CHARS,
    MAX_EXAMPLE_OUTPUT_CHARS,
    is_blank_output,
)

__all__ = [
    "RowError",
    "are_valid_plain_ascii",
    "check_record",
    "example_problems",
    "is_valid_plain_ascii",
    "text_problems",
    "valid_plain_ascii_flags",
    "validate_example",
]

_VALID_INPUT_LENGTHS = range(MAX_EXAMPLE_INPUT_CHARS + 1)
_VALID_OUTPUT_LENGTHS = range(1, MAX_EXAMPLE_OUTPUT_CHARS + 1)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one record was rejected, and where it is.

    ``line`` is the 1-based line number in a file, or the 1-based item index for an
    in-memory source, in which case ``unit`` is ``"item"``.
    """

    line: int
    message: str
    unit: str = "line"

    def __str__(self) -> str:
        """Return e.g. ``"line 17: output is 5,210 characters; the limit is 5,000"``."""
        return f"{self.unit} {self.line}: {self.message}"

    def to_dict(self) -> dict[str, int | str]:
        """Return a JSON-safe dict with the position and the message."""
        return {"line": self.line, "message": self.message}


def example_problems(example: Example) -> list[str]:
    """Return every rule ``example`` breaks, as readable messages (empty when valid)."""
    return text_problems(example.text_input, example.output)


def text_problems(text_input: str, output: str) -> list[str]:
    """Return :func:`example_problems` of the example with these texts."""
    problems = _length_problems("input", text_input, MAX_EXAMPLE_INPUT_CHARS)
    if not output:
        problems.append("output is empty")
    elif is_blank_output(output):
        problems.append("output is blank (whitespace only)")
    problems += _length_problems("output", output, MAX_EXAMPLE_OUTPUT_CHARS)
    problems += _encoding_problems("input", text_input)
    problems += _encoding_problems("output", output)
    return problems


def is_valid_plain_ascii(input_length: int, output_length: int) -> bool:
    """Whether an example of plain texts with these lengths is valid.

    Plain texts are ASCII without control characters (so always encodable), with an
    output that does not start with a space (so it is blank only when empty); only
    their lengths can break a rule then. This decides the common case without
    building any message.
    """
    return 0 < output_length <= MAX_EXAMPLE_OUTPUT_CHARS and input_length <= MAX_EXAMPLE_INPUT_CHARS


def are_valid_plain_ascii(input_lengths: list[int], output_lengths: list[int]) -> bool:
    """Whether examples of plain texts with these lengths are all valid.

    :func:`is_valid_plain_ascii` of the extremes, found in C.
    """
    return (
        bool(output_lengths)
        and min(output_lengths) > 0
        and max(output_lengths) <= MAX_EXAMPLE_OUTPUT_CHARS
        and max(input_lengths, default=0) <= MAX_EXAMPLE_INPUT_CHARS
    )


def valid_plain_ascii_flags(input_lengths: list[int], output_lengths: list[int]) -> list[bool]:
    """Return :func:`is_valid_plain_ascii` of each pair of lengths, computed in C."""
    return list(
        map(
            operator.and_,
            map(_VALID_INPUT_LENGTHS.__contains__, input_lengths),
            map(_VALID_OUTPUT_LENGTHS.__contains__, output_lengths),
        )
    )


def validate_example(example: Example) -> None:
    """Raise :class:`InvalidRecordError` if ``example`` breaks any rule."""
    problems = example_problems(example)
    if problems:
        raise InvalidRecordError("; ".join(problems))


def check_record(position: int, record: object, *, unit: str = "line") -> Example | RowError:
    """Turn a raw record into a valid :class:`Example`, or explain why it is rejected.

    ``position`` and ``unit`` locate the record in error messages (see :class:`RowError`).
    """
    try:
        example = example_from_record(record)
        validate_example(example)
    except InvalidRecordError as error:
        return RowError(position, str(error), unit)
    return example


def _length_problems(field: str, text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return []
    return [f"{field} is {len(text):,} characters; the limit is {limit:,}"]


def _encoding_problems(field: str, text: str) -> list[str]:
    if text.isascii():
        return []
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return [
            f"{field} has a character that cannot be encoded as UTF-8 "
            f"(an unpaired surrogate at character {error.start + 1:,})"
        ]
    return []
