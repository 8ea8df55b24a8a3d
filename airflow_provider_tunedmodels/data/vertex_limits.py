"""Documented limits of Vertex AI tuning datasets (Gemini 2.5 and later), shared by checks.

From Google's "About supervised fine-tuning" and preference-tuning pages; a dataset
breaking one fails the tuning job long after it was uploaded, so they are checked
locally first.
"""

from __future__ import annotations

__all__ = [
    "MAX_DATASET_BYTES",
    "MAX_EXAMPLE_TOKENS",
    "MAX_PREFERENCE_EXAMPLES",
    "MAX_SUPERVISED_MULTIMODAL_EXAMPLES",
    "MAX_SUPERVISED_TEXT_EXAMPLES",
    "MAX_VALIDATION_EXAMPLES",
]

#: Size of a training or validation JSONL file. Documented as "1 GB"; read as
#: 10**9 bytes, the stricter of the two readings.
MAX_DATASET_BYTES = 1_000_000_000
#: Input and output tokens of one example (systemInstruction included).
MAX_EXAMPLE_TOKENS = 131_072
#: Examples of a supervised training file whose examples are all text.
MAX_SUPERVISED_TEXT_EXAMPLES = 1_000_000
#: Examples of a supervised training file with at least one file (image, audio, ...) part.
MAX_SUPERVISED_MULTIMODAL_EXAMPLES = 300_000
#: Examples of a preference training file.
MAX_PREFERENCE_EXAMPLES = 10_000_000
#: Examples of a validation file, for both tuning methods.
MAX_VALIDATION_EXAMPLES = 5_000
