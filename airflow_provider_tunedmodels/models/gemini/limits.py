"""Documented limits of the Gemini API tuning surface, shared by validation code.

Every number here comes from the public API documentation (see the README's
"Upstream status" section); none is invented.
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_DISPLAY_NAME_LENGTH",
    "MAX_EXAMPLE_INPUT_CHARS",
    "MAX_EXAMPLE_OUTPUT_CHARS",
    "MAX_PAGE_SIZE",
    "MAX_TEMPERATURE",
    "MIN_TEMPERATURE",
    "MIN_TOP_K",
    "TUNED_MODEL_ID_PATTERN",
    "is_blank_output",
]

#: ``tunedModelId``: first a letter, last a letter or digit, up to 40 characters.
TUNED_MODEL_ID_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
#: Maximum length of a tuned model's ``displayName``, spaces included.
MAX_DISPLAY_NAME_LENGTH = 40
#: Maximum characters of a training example's ``textInput``.
MAX_EXAMPLE_INPUT_CHARS = 40_000
#: Maximum characters of a training example's ``output``.
MAX_EXAMPLE_OUTPUT_CHARS = 5_000
#: Allowed range of a tuned model's ``temperature``.
MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 1.0
#: Smallest ``topK`` of a tuned model: the field is an optional int32 with no documented
#: minimum beyond not being negative (0 is a value the caller set, not "unset").
MIN_TOP_K = 0
#: ``pageSize`` bounds for list calls.
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000


def is_blank_output(text: str | None) -> bool:
    """Whether a training example's output counts as missing: empty, or only whitespace.

    The API requires an output; one made of whitespace teaches the model to answer
    nothing, so the hook and dataset preparation both refuse it, by this one rule.
    """
    return not text or text.isspace()
