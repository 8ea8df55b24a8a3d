"""Documented limits of the Gemini API tuning surface, as the emulator enforces them.

The emulator keeps its own copy of these numbers instead of importing the
client's: it is an independent implementation of the server, so that a
mistake on one side cannot hide the same mistake on the other.
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
    "MAX_TUNED_MODEL_ID_LENGTH",
    "MIN_TEMPERATURE",
    "TUNED_MODEL_ID_PATTERN",
]


#: ``tunedModelId``: first a letter, last a letter or digit, up to 40 characters.
TUNED_MODEL_ID_PATTERN = re.compile(r"[a-z]([a-z0-9-]{0,38}[a-z0-9])?")
#: Maximum length of ``tunedModelId``.
MAX_TUNED_MODEL_ID_LENGTH = 40
#: Maximum length of a tuned model's ``displayName``, spaces included.
MAX_DISPLAY_NAME_LENGTH = 40
#: Maximum characters of a training example's ``textInput`` (and of a prompt).
MAX_EXAMPLE_INPUT_CHARS = 40_000
#: Maximum characters of a training example's ``output``.
MAX_EXAMPLE_OUTPUT_CHARS = 5_000
#: Allowed range of a tuned model's ``temperature``.
MIN_TEMPERATURE = 0.0
MAX_TEMPERATURE = 1.0
#: ``pageSize`` of list calls: default and maximum.
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
