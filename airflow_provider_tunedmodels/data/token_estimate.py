r"""Count the tokens of a Vertex AI tuning dataset and estimate what a tuning job bills.

Google counts tokens with the base model's tokenizer, which is not public. This
module uses a simple, documented approximation instead, and the bundled emulator
implements the same rule on its own, so that the ``tuningDataStats`` it reports
match these estimates. The rule:

``count_tokens(text) = len(re.findall(r"\w+|[^\w\s]", text))``
(every run of word characters is one token, and so is every other character that
is not whitespace).

* Supervised example: input tokens = tokens of all ``systemInstruction`` part texts
  + tokens of all part texts of turns whose role is ``"user"`` (or missing); output
  tokens = tokens of all part texts of ``"model"`` turns.
* Preference example: input = ``systemInstruction`` + all ``contents`` turns;
  output = sum over ``completions`` of their part texts.
* ``tuningDatasetExampleCount`` = number of examples in the training file;
  ``totalBillableTokenCount`` = sum of input + output over the training file (one pass).
* Billing estimate for a job = ``totalBillableTokenCount`` x ``epochCount``, where
  ``epochCount`` is the request's value or, when unset, ``DEFAULT_EPOCH_COUNT = 3``
  (an assumption: Google adjusts the default to the dataset size).

Parts without a string ``text`` (``fileData``) count no tokens. ``systemInstruction``
may also be spelled ``system_instruction``, as proto3 JSON allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.data.errors import InvalidRecordError
from airflow_provider_tunedmodels.data.vertex_limits import MAX_EXAMPLE_TOKENS
from airflow_provider_tunedmodels.data.vertex_reader import (
    DatasetKind,
    DatasetSource,
    check_kind,
    iter_dataset_lines,
    not_an_object,
)

__all__ = [
    "DEFAULT_EPOCH_COUNT",
    "BillingEstimate",
    "TokenTally",
    "count_tokens",
    "estimate_billable_tokens",
    "example_tokens",
]

#: Epochs assumed when a tuning request leaves ``epochCount`` unset. This is an
#: assumption: Google adjusts the default to the dataset size and does not publish
#: the rule, so an estimate made with it may be off by that factor.
DEFAULT_EPOCH_COUNT = 3

_TOKEN = re.compile(r"\w+|[^\w\s]")
_INPUT_ROLES = frozenset({"user", "", None})
_SYSTEM_KEYS = ("systemInstruction", "system_instruction")


def count_tokens(text: str) -> int:
    """Return the tokens of ``text`` by the module's rule (words and other symbols)."""
    return len(_TOKEN.findall(text))


def example_tokens(record: Mapping[str, Any], kind: DatasetKind) -> tuple[int, int]:
    """Return ``(input_tokens, output_tokens)`` of one example by the module's rule.

    The record is read leniently: a field of the wrong shape counts no tokens, so
    the count is defined for any JSON object (validation reports the shape).
    """
    input_tokens = sum(_content_tokens(record.get(key)) for key in _SYSTEM_KEYS)
    if kind == "preference":
        input_tokens += sum(_content_tokens(turn) for turn in _items(record.get("contents")))
        output_tokens = sum(
            _content_tokens(completion.get("completion"))
            for completion in _items(record.get("completions"))
            if isinstance(completion, Mapping)
        )
        return input_tokens, output_tokens
    output_tokens = 0
    for turn in _items(record.get("contents")):
        if not isinstance(turn, Mapping):
            continue
        role = turn.get("role")
        if role in _INPUT_ROLES:
            input_tokens += _content_tokens(turn)
        elif role == "model":
            output_tokens += _content_tokens(turn)
    return input_tokens, output_tokens


def _content_tokens(content: object) -> int:
    """Tokens of the part texts of one ``Content`` object (a turn or an instruction)."""
    if not isinstance(content, Mapping):
        return 0
    return sum(
        count_tokens(part["text"])
        for part in _items(content.get("parts"))
        if isinstance(part, Mapping) and isinstance(part.get("text"), str)
    )


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class BillingEstimate:
    """What a tuning job on a training file would count and bill, by the module's rule."""

    #: Examples in the file (``tuningDatasetExampleCount``).
    example_count: int
    #: Input tokens of all examples.
    input_tokens: int
    #: Output tokens of all examples.
    output_tokens: int
    #: Epochs the estimate is for.
    epochs: int
    #: Whether ``epochs`` is :data:`DEFAULT_EPOCH_COUNT`, assumed because none was given.
    epochs_assumed: bool
    #: Tokens of the largest example (input and output).
    max_example_tokens: int
    #: Examples above :data:`~airflow_provider_tunedmodels.data.vertex_limits.MAX_EXAMPLE_TOKENS`.
    examples_over_limit: int

    @property
    def tokens_per_epoch(self) -> int:
        """Input plus output tokens of the file (``totalBillableTokenCount``)."""
        return self.input_tokens + self.output_tokens

    @property
    def total_billable_tokens(self) -> int:
        """Tokens billed for the whole job: tokens per epoch times epochs."""
        return self.tokens_per_epoch * self.epochs

    def to_dict(self) -> dict[str, int | bool]:
        """Return the estimate as a JSON-safe dict (suitable for XCom)."""
        return {
            "example_count": self.example_count,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_per_epoch": self.tokens_per_epoch,
            "epochs": self.epochs,
            "epochs_assumed": self.epochs_assumed,
            "total_billable_tokens": self.total_billable_tokens,
            "max_example_tokens": self.max_example_tokens,
            "examples_over_limit": self.examples_over_limit,
        }


@dataclass
class TokenTally:
    """Running token counts over the examples of one file, in constant memory."""

    example_count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    max_example_tokens: int = 0
    examples_over_limit: int = 0

    def add(self, input_tokens: int, output_tokens: int) -> None:
        """Count one example."""
        tokens = input_tokens + output_tokens
        self.example_count += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.max_example_tokens = max(self.max_example_tokens, tokens)
        if tokens > MAX_EXAMPLE_TOKENS:
            self.examples_over_limit += 1

    def estimate(self, epochs: int | None = None) -> BillingEstimate:
        """Return the billing estimate for ``epochs`` (:data:`DEFAULT_EPOCH_COUNT` if ``None``).

        Raises:
            ValueError: ``epochs`` is below 1.
        """
        _check_epochs(epochs)
        return BillingEstimate(
            example_count=self.example_count,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            epochs=DEFAULT_EPOCH_COUNT if epochs is None else epochs,
            epochs_assumed=epochs is None,
            max_example_tokens=self.max_example_tokens,
            examples_over_limit=self.examples_over_limit,
        )


def estimate_billable_tokens(
    path_or_lines: DatasetSource,
    *,
    epochs: int | None = None,
    kind: DatasetKind = "supervised",
) -> BillingEstimate:
    """Count the tokens of a training file and estimate what tuning on it bills.

    One streaming pass, in constant memory. The file is assumed to be valid
    (see :func:`~airflow_provider_tunedmodels.data.validate_vertex_dataset`);
    fields of the wrong shape count no tokens.

    :param path_or_lines: a JSONL file (local path, URI or ``ObjectStoragePath``), or
        an iterable of JSON lines (``str`` or ``bytes``) or already decoded objects.
    :param epochs: the job's ``epochCount``; when ``None``, :data:`DEFAULT_EPOCH_COUNT`
        is assumed and ``epochs_assumed`` is set in the result.
    :param kind: ``"supervised"`` or ``"preference"``.
    :returns: counts, tokens per epoch and the total billable tokens.
    :raises InvalidRecordError: a line is not a JSON object; the message locates it.
    :raises ValueError: ``epochs`` is below 1 or ``kind`` is unknown.
    """
    check_kind(kind)
    _check_epochs(epochs)  # before reading a possibly large file
    tally = TokenTally()
    for line in iter_dataset_lines(path_or_lines):
        if not isinstance(line.record, Mapping):
            raise InvalidRecordError(f"{line.unit} {line.position}: {not_an_object(line.record)}")
        tally.add(*example_tokens(line.record, kind))
    return tally.estimate(epochs)


def _check_epochs(epochs: int | None) -> None:
    if epochs is not None and epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
