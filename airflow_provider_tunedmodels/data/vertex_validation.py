"""Validate a whole Vertex AI tuning dataset before uploading it, in one streaming pass.

A tuning job reads its dataset long after it was created and fails on it, so every
rule that can be checked locally is checked here: the rules of each example (see
:mod:`~airflow_provider_tunedmodels.data.vertex_rules`), then the limits of the file
(:mod:`~airflow_provider_tunedmodels.data.vertex_limits`):

* at most 1 GB;
* a training file: at most 1,000,000 supervised examples (300,000 when any has a
  file part) or 10,000,000 preference examples;
* a validation file: at most 5,000 examples.

Every problem is listed at once, up to a cap, with its line number. With
``drop_invalid=True`` invalid examples are dropped and counted instead, and the
valid ones can be written to a new file; the file limits then apply to that file.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Literal

from airflow_provider_tunedmodels.data.errors import DatasetLimitError, DatasetValidationError
from airflow_provider_tunedmodels.data.examples import is_file_source
from airflow_provider_tunedmodels.data.prepare import DEFAULT_MAX_REPORTED_ERRORS
from airflow_provider_tunedmodels.data.storage import (
    AtomicTextWriter,
    Location,
    describe_location,
    resolve_location,
)
from airflow_provider_tunedmodels.data.token_estimate import BillingEstimate, TokenTally
from airflow_provider_tunedmodels.data.validation import RowError
from airflow_provider_tunedmodels.data.vertex_limits import (
    MAX_DATASET_BYTES,
    MAX_PREFERENCE_EXAMPLES,
    MAX_SUPERVISED_MULTIMODAL_EXAMPLES,
    MAX_SUPERVISED_TEXT_EXAMPLES,
    MAX_VALIDATION_EXAMPLES,
)
from airflow_provider_tunedmodels.data.vertex_reader import (
    DatasetKind,
    DatasetSource,
    check_kind,
    iter_dataset_lines,
)
from airflow_provider_tunedmodels.data.vertex_rules import check_example

__all__ = ["DatasetSplit", "VertexDatasetReport", "validate_vertex_dataset"]

#: Which file of a tuning job a dataset is: ``trainingDatasetUri`` or ``validationDatasetUri``.
DatasetSplit = Literal["training", "validation"]
#: How an in-memory dataset is named in messages and reports.
IN_MEMORY_DATASET = "<in-memory dataset>"


@dataclass(frozen=True)
class VertexDatasetReport:
    """What :func:`validate_vertex_dataset` found, with the token counts of valid examples.

    Counts satisfy ``examples_read == valid + invalid``.
    """

    #: The file checked, or ``"<in-memory dataset>"``.
    source: str
    #: ``"supervised"`` or ``"preference"``.
    kind: str
    #: ``"training"`` or ``"validation"``.
    split: str
    #: Examples read (blank lines are not examples).
    examples_read: int
    #: Examples that passed every rule.
    valid: int
    #: Examples that broke a rule (dropped, since the call succeeded).
    invalid: int
    #: Bytes of the valid examples' lines: the size of the file that will be uploaded.
    valid_bytes: int
    #: Input tokens of the valid examples.
    input_tokens: int
    #: Output tokens of the valid examples.
    output_tokens: int
    #: Tokens of the largest valid example.
    max_example_tokens: int
    #: Where the valid examples were written, or ``None``.
    valid_path: str | None = None
    #: The first invalid examples, in file order (at most ``max_reported_errors``).
    errors: tuple[RowError, ...] = field(default_factory=tuple)

    def billing_estimate(self, epochs: int | None = None) -> BillingEstimate:
        """Estimate what tuning on the valid examples bills, for ``epochs`` epochs.

        See :func:`~airflow_provider_tunedmodels.data.estimate_billable_tokens`; this
        is the same estimate, without reading the file again.
        """
        tally = TokenTally(
            example_count=self.valid,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            max_example_tokens=self.max_example_tokens,
        )
        return tally.estimate(epochs)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-safe dict (suitable for XCom)."""
        return {
            "source": self.source,
            "kind": self.kind,
            "split": self.split,
            "examples_read": self.examples_read,
            "valid": self.valid,
            "invalid": self.invalid,
            "valid_bytes": self.valid_bytes,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "max_example_tokens": self.max_example_tokens,
            "valid_path": self.valid_path,
            "errors": [error.to_dict() for error in self.errors],
        }


@dataclass
class _Pass:
    """Running counts of one validation pass."""

    max_reported_errors: int
    examples_read: int = 0
    bytes_read: int = 0
    invalid: int = 0
    valid_bytes: int = 0
    has_files: bool = False
    tokens: TokenTally = field(default_factory=TokenTally)
    errors: list[RowError] = field(default_factory=list)

    def record_invalid(self, error: RowError) -> None:
        self.invalid += 1
        if len(self.errors) < self.max_reported_errors:
            self.errors.append(error)


def validate_vertex_dataset(
    source: DatasetSource,
    *,
    kind: DatasetKind = "supervised",
    split: DatasetSplit = "training",
    drop_invalid: bool = False,
    valid_path: Location | None = None,
    max_reported_errors: int = DEFAULT_MAX_REPORTED_ERRORS,
) -> VertexDatasetReport:
    """Check every example and the file limits of a Vertex AI tuning dataset.

    :param source: a JSONL file (local path, URI or ``ObjectStoragePath``), or an
        iterable of JSON lines (``str`` or ``bytes``) or decoded objects.
    :param kind: ``"supervised"`` or ``"preference"``.
    :param split: ``"training"`` or ``"validation"`` (validation files are smaller).
    :param drop_invalid: drop and count invalid examples instead of failing.
    :param valid_path: where to write the valid examples, unchanged; written
        atomically, and only when the call succeeds.
    :param max_reported_errors: how many invalid examples to describe individually.
    :returns: counts, token totals of the valid examples, and the first errors.
    :raises DatasetValidationError: some examples are invalid and ``drop_invalid`` is
        false; the message lists them (and any broken file limit).
    :raises DatasetLimitError: the file (or, when dropping, its valid part) breaks a
        size or count limit.
    :raises ValueError: an argument is out of range.
    """
    check_kind(kind)
    if split not in ("training", "validation"):
        raise ValueError(f"split must be 'training' or 'validation', got {split!r}")
    if max_reported_errors < 0:
        raise ValueError(f"max_reported_errors must not be negative, got {max_reported_errors}")
    source_name = describe_location(resolve_location(source)) if is_file_source(source) else None
    tally = _Pass(max_reported_errors)
    with contextlib.ExitStack() as stack:
        writer = None
        if valid_path is not None:
            writer = stack.enter_context(AtomicTextWriter(resolve_location(valid_path)))
        _check_lines(source, kind, tally, writer)
        _raise_if_unusable(tally, source_name or IN_MEMORY_DATASET, kind, split, drop_invalid)
        if writer is not None:
            writer.commit()
    return VertexDatasetReport(
        source=source_name or IN_MEMORY_DATASET,
        kind=kind,
        split=split,
        examples_read=tally.examples_read,
        valid=tally.tokens.example_count,
        invalid=tally.invalid,
        valid_bytes=tally.valid_bytes,
        input_tokens=tally.tokens.input_tokens,
        output_tokens=tally.tokens.output_tokens,
        max_example_tokens=tally.tokens.max_example_tokens,
        valid_path=writer.location if writer is not None else None,
        errors=tuple(tally.errors),
    )


def _check_lines(
    source: DatasetSource, kind: DatasetKind, tally: _Pass, writer: AtomicTextWriter | None
) -> None:
    for line in iter_dataset_lines(source):
        tally.examples_read += 1
        tally.bytes_read += len(line.raw)
        check = check_example(line.record, kind)
        if check.problems:
            tally.record_invalid(RowError(line.position, "; ".join(check.problems), line.unit))
            continue
        tally.has_files = tally.has_files or check.has_files
        tally.tokens.add(check.input_tokens, check.output_tokens)
        raw = line.raw if line.raw.endswith(b"\n") else line.raw + b"\n"
        tally.valid_bytes += len(raw)
        if writer is not None:
            writer.write_bytes(raw)


def _raise_if_unusable(
    tally: _Pass, source_name: str, kind: DatasetKind, split: DatasetSplit, drop_invalid: bool
) -> None:
    """Fail a strict pass with invalid examples, and any pass that breaks a file limit."""
    strict = not drop_invalid
    examples = tally.examples_read if strict else tally.tokens.example_count
    size = tally.bytes_read if strict else tally.valid_bytes
    problems = _file_problems(examples, size, kind, split, has_files=tally.has_files)
    if examples == 0:
        problems.insert(0, "the file has no examples" if strict else "no valid example is left")
    if strict and tally.invalid:
        raise DatasetValidationError(
            source_name, tally.errors, tally.invalid, tally.examples_read, file_problems=problems
        )
    if problems:
        raise DatasetLimitError(source_name, problems)


def _file_problems(
    examples: int, size: int, kind: DatasetKind, split: DatasetSplit, *, has_files: bool
) -> list[str]:
    """Return the file limits broken by ``examples`` examples weighing ``size`` bytes."""
    problems = []
    if size > MAX_DATASET_BYTES:
        problems.append(f"the file is {size:,} bytes; the limit is {MAX_DATASET_BYTES:,} (1 GB)")
    limit, what = _example_limit(kind, split, has_files=has_files)
    if examples > limit:
        problems.append(f"the file has {examples:,} examples; {what} takes at most {limit:,}")
    return problems


def _example_limit(kind: DatasetKind, split: DatasetSplit, *, has_files: bool) -> tuple[int, str]:
    if split == "validation":
        return MAX_VALIDATION_EXAMPLES, "a validation file"
    if kind == "preference":
        return MAX_PREFERENCE_EXAMPLES, "a preference training file"
    if has_files:
        return MAX_SUPERVISED_MULTIMODAL_EXAMPLES, "a supervised training file with file parts"
    return MAX_SUPERVISED_TEXT_EXAMPLES, "a supervised training file"
