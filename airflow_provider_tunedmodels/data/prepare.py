"""Prepare a tuning dataset: validate, deduplicate and split, in one streaming pass.

:func:`prepare_tuning_dataset` reads a JSONL or CSV file (or an in-memory
iterable), checks every record against the documented limits, drops duplicates,
and writes a training and an evaluation JSONL file. Memory does not grow with the
size of the input:

* records are read and written one at a time;
* duplicate detection keeps a bounded number of fingerprints in memory and the
  rest on disk (see :class:`SeenStore`);
* only the first ``max_reported_errors`` error messages are kept.

Both output files are written under temporary names and moved into place only when
the whole input has been processed successfully.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.data.canonical import LINE_END, LINE_JOINER, LINE_PREFIX
from airflow_provider_tunedmodels.data.checked_rows import CheckedChunk, iter_checked_chunks
from airflow_provider_tunedmodels.data.errors import DatasetError, DatasetValidationError
from airflow_provider_tunedmodels.data.examples import ExampleSource, FileFormat, is_file_source
from airflow_provider_tunedmodels.data.fingerprint import EvalSelector
from airflow_provider_tunedmodels.data.seen_store import SeenStore
from airflow_provider_tunedmodels.data.storage import (
    AtomicTextWriter,
    Location,
    describe_location,
    resolve_location,
)
from airflow_provider_tunedmodels.data.validation import RowError

if TYPE_CHECKING:
    from pathlib import Path

    from airflow.sdk import ObjectStoragePath

__all__ = ["DEFAULT_MAX_REPORTED_ERRORS", "PreparedDataset", "prepare_tuning_dataset"]

#: How many invalid records are described in errors and statistics by default.
DEFAULT_MAX_REPORTED_ERRORS = 20
#: How an in-memory source is named in messages and statistics.
IN_MEMORY_SOURCE = "<in-memory records>"


@dataclass(frozen=True)
class PreparedDataset:
    """What :func:`prepare_tuning_dataset` wrote, with statistics.

    Counts satisfy ``rows_read == valid + invalid`` and
    ``valid == duplicates_removed + train_count + eval_count``.
    """

    #: Where the training examples were written (a path or a URI).
    train_path: str
    #: Where the evaluation examples were written, or ``None`` if not requested.
    eval_path: str | None
    #: The input file, or ``"<in-memory records>"``.
    source: str
    #: Records read (blank lines are not records).
    rows_read: int
    #: Records that passed validation, duplicates included.
    valid: int
    #: Records rejected by validation (dropped, since the call succeeded).
    invalid: int
    #: Valid records dropped because an equal example came earlier.
    duplicates_removed: int
    #: Examples written to ``train_path``.
    train_count: int
    #: Examples written to ``eval_path``.
    eval_count: int
    #: Fraction of examples sent to evaluation, as requested.
    eval_fraction: float
    #: Seed of the split.
    seed: str
    #: The first invalid records, in input order (at most ``max_reported_errors``).
    errors: tuple[RowError, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as a JSON-safe dict (suitable for XCom)."""
        return {
            "train_path": self.train_path,
            "eval_path": self.eval_path,
            "source": self.source,
            "rows_read": self.rows_read,
            "valid": self.valid,
            "invalid": self.invalid,
            "duplicates_removed": self.duplicates_removed,
            "train_count": self.train_count,
            "eval_count": self.eval_count,
            "eval_fraction": self.eval_fraction,
            "seed": self.seed,
            "errors": [error.to_dict() for error in self.errors],
        }


@dataclass
class _Tally:
    """Running counts of one preparation pass."""

    max_reported_errors: int
    rows_read: int = 0
    invalid: int = 0
    duplicates_removed: int = 0
    train_count: int = 0
    eval_count: int = 0
    errors: list[RowError] = field(default_factory=list)

    def record_invalid(self, error: RowError) -> None:
        self.invalid += 1
        if len(self.errors) < self.max_reported_errors:
            self.errors.append(error)


def prepare_tuning_dataset(
    source: ExampleSource,
    *,
    train_path: Location,
    eval_path: Location | None,
    eval_fraction: float = 0.1,
    drop_invalid: bool = False,
    deduplicate: bool = True,
    seed: str = "",
    file_format: FileFormat | None = None,
    max_reported_errors: int = DEFAULT_MAX_REPORTED_ERRORS,
) -> PreparedDataset:
    """Validate, deduplicate and split ``source`` into training and evaluation JSONL files.

    Args:
        source: a JSONL or CSV file (local path, URI string or ``ObjectStoragePath``),
            or an iterable of records (mappings, ``(input, output)`` pairs, examples).
        train_path: where to write the training examples.
        eval_path: where to write the evaluation examples; may be ``None`` only when
            ``eval_fraction`` is 0.
        eval_fraction: share of examples sent to evaluation, ``0 <= eval_fraction < 1``.
            The share is exact only on average: each example is placed by its hash.
        drop_invalid: drop invalid records and report them in the statistics, instead
            of failing.
        deduplicate: drop an example equal (after whitespace normalisation) to an
            earlier one.
        seed: changes which examples go to evaluation; the same seed gives the same split.
        file_format: ``"jsonl"`` or ``"csv"``; guessed from the file suffix when omitted.
        max_reported_errors: how many invalid records to describe individually.

    Returns:
        The written locations and statistics; see :class:`PreparedDataset`.

    Raises:
        DatasetValidationError: some records are invalid and ``drop_invalid`` is false.
        DatasetError: no example is left for training.
        SourceFormatError: the source cannot be read at all.
        ValueError: an argument is out of range.

    Example::

        stats = prepare_tuning_dataset(
            "s3://bucket/raw/tickets.csv",
            train_path="s3://bucket/prepared/train.jsonl",
            eval_path="s3://bucket/prepared/eval.jsonl",
            eval_fraction=0.2,
            drop_invalid=True,
        )
        print(stats.train_count, stats.invalid)
    """
    selector = EvalSelector(eval_fraction, seed)
    train_target, eval_target = _resolve_targets(train_path, eval_path, eval_fraction)
    if max_reported_errors < 0:
        raise ValueError(f"max_reported_errors must not be negative, got {max_reported_errors}")
    source_name = describe_location(resolve_location(source)) if is_file_source(source) else None
    unit = "line" if source_name else "item"
    tally = _Tally(max_reported_errors)

    with contextlib.ExitStack() as stack:
        seen = stack.enter_context(SeenStore()) if deduplicate else None
        train = stack.enter_context(AtomicTextWriter(train_target))
        evaluation = (
            stack.enter_context(AtomicTextWriter(eval_target)) if eval_target is not None else None
        )
        outputs = _Outputs(train, evaluation, seen, selector)
        chunks = iter_checked_chunks(source, file_format=file_format, unit=unit)
        _split_chunks(chunks, outputs, tally, drop_invalid=drop_invalid)
        _raise_if_unusable(tally, source_name or IN_MEMORY_SOURCE, drop_invalid=drop_invalid)
        train.commit()
        if evaluation is not None:
            evaluation.commit()

    return PreparedDataset(
        train_path=train.location,
        eval_path=evaluation.location if evaluation else None,
        source=source_name or IN_MEMORY_SOURCE,
        rows_read=tally.rows_read,
        valid=tally.rows_read - tally.invalid,
        invalid=tally.invalid,
        duplicates_removed=tally.duplicates_removed,
        train_count=tally.train_count,
        eval_count=tally.eval_count,
        eval_fraction=eval_fraction,
        seed=seed,
        errors=tuple(tally.errors),
    )


def _resolve_targets(
    train_path: Location, eval_path: Location | None, eval_fraction: float
) -> tuple[Path | ObjectStoragePath, Path | ObjectStoragePath | None]:
    """Resolve both output locations, refusing a missing or clashing evaluation path."""
    train_target = resolve_location(train_path)
    if eval_path is None:
        if eval_fraction > 0:
            raise ValueError("eval_path is required when eval_fraction is above 0")
        return train_target, None
    eval_target = resolve_location(eval_path)
    if describe_location(train_target) == describe_location(eval_target):
        raise ValueError(f"train_path and eval_path are the same: {train_target}")
    return train_target, eval_target


@dataclass(frozen=True)
class _Outputs:
    """Where valid rows go: the two files, the duplicate filter and the split rule."""

    train: AtomicTextWriter
    evaluation: AtomicTextWriter | None
    seen: SeenStore | None
    selector: EvalSelector


def _split_chunks(
    chunks: Iterable[CheckedChunk], outputs: _Outputs, tally: _Tally, *, drop_invalid: bool
) -> None:
    """Count every record and write every new valid example to its split.

    Each chunk is handled in a few batch calls (duplicates, split, one write per
    file), which costs much less per row than handling rows one by one.
    """
    for chunk in chunks:
        tally.rows_read += chunk.records
        for error in chunk.errors:
            tally.record_invalid(error)
        if tally.invalid and not drop_invalid:
            continue  # once a strict run has failed, the rest is only scanned for errors
        fingerprints, bodies = chunk.fingerprints, chunk.bodies
        if outputs.seen is not None:
            is_new = outputs.seen.add_many(fingerprints)
            tally.duplicates_removed += len(is_new) - sum(is_new)
            fingerprints = list(itertools.compress(fingerprints, is_new))
            bodies = list(itertools.compress(bodies, is_new))
        if outputs.evaluation is None:
            tally.train_count += _write_lines(bodies, outputs.train)
            continue
        to_eval = outputs.selector.eval_flags(fingerprints)
        to_train = map(operator.not_, to_eval)
        tally.eval_count += _write_lines(
            list(itertools.compress(bodies, to_eval)), outputs.evaluation
        )
        tally.train_count += _write_lines(list(itertools.compress(bodies, to_train)), outputs.train)


def _write_lines(bodies: list[bytes], writer: AtomicTextWriter) -> int:
    """Write the lines with these bodies; return how many they were."""
    if bodies:
        writer.write_bytes(LINE_PREFIX)
        writer.write_bytes(LINE_JOINER.join(bodies))
        writer.write_bytes(LINE_END)
    return len(bodies)


def _raise_if_unusable(tally: _Tally, source_name: str, *, drop_invalid: bool) -> None:
    """Fail a strict run with invalid records, and any run with nothing to train on."""
    if tally.invalid and not drop_invalid:
        raise DatasetValidationError(source_name, tally.errors, tally.invalid, tally.rows_read)
    if tally.train_count == 0:
        raise DatasetError(_empty_training_message(tally))


def _empty_training_message(tally: _Tally) -> str:
    if tally.rows_read == 0:
        return "the source has no records, so there is nothing to train on"
    return (
        f"no training example is left: {tally.rows_read:,} records read, "
        f"{tally.invalid:,} invalid, {tally.duplicates_removed:,} duplicates, "
        f"{tally.eval_count:,} sent to evaluation"
    )
