"""Operator that prepares a tuning dataset: validate, deduplicate, split, write.

The work is done by :func:`airflow_provider_tunedmodels.data.prepare_tuning_dataset`,
which is imported only when the task runs, so DAG files import this module cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.data import ExampleSource, FileFormat, Location
    from airflow_provider_tunedmodels.data.prepare import PreparedDataset

__all__ = ["PrepareTuningDatasetOperator"]

#: Equal to ``data.prepare.DEFAULT_MAX_REPORTED_ERRORS`` (a test checks it); repeated here so
#: that DAG files importing this operator do not import the data package.
_DEFAULT_MAX_REPORTED_ERRORS = 20


class PrepareTuningDatasetOperator(BaseOperator):
    """Validate, deduplicate and split tuning data into training and evaluation JSONL files.

    Every record is checked against the documented limits of the Gemini API (an
    output is required and at most 5,000 characters, an input at most 40,000). By
    default any invalid record fails the task with one message listing the bad
    line numbers; with ``drop_invalid=True`` invalid records are dropped, counted
    and logged instead. Duplicates (same input and output after whitespace
    normalisation) are removed. Each example is placed in the training or the
    evaluation split by a hash of its content and ``seed``, so a rerun, or a
    backfill over the same data, writes the same split. The input is streamed:
    memory does not grow with its size.

    Data problems are not retried (the task fails without using its retries);
    storage errors are retried as usual.

    :param source: JSONL or CSV file: a local path, a URI such as
        ``s3://bucket/raw.csv`` (any ``ObjectStoragePath`` protocol whose provider
        is installed) or an ``ObjectStoragePath``; or records from an upstream task
        (a list of mappings or ``(input, output)`` pairs). Input keys:
        ``text_input``/``textInput``/``input``/``prompt``; output keys:
        ``output``/``completion``/``target``. Templated; an inline list is rendered
        too, so wrap it in ``airflow.sdk.literal(...)`` if its texts contain ``{{``.
    :param train_path: where to write the training examples (path or URI). Templated.
    :param eval_path: where to write the evaluation examples (path or URI), or
        ``None`` when ``eval_fraction`` is 0. Templated.
    :param eval_fraction: share of examples sent to evaluation, at least 0 and below 1.
        The share is approximate: each example is sent to evaluation on its own, when
        a keyed hash of its text falls below ``eval_fraction``. That keeps the split
        stable whatever the file order and across reruns, and needs no second pass
        over the data, but the evaluation count varies around ``n * eval_fraction``
        with a standard deviation of about ``sqrt(n * f * (1 - f))`` (for 100
        examples at 0.15: 15, give or take 3.6). ``eval_count`` reports the result.
    :param drop_invalid: drop and count invalid records instead of failing.
    :param deduplicate: remove repeated examples.
    :param seed: changes which examples go to evaluation. Templated.
    :param file_format: ``"jsonl"`` or ``"csv"``; guessed from the file suffix if omitted.
    :param max_reported_errors: how many invalid records to list in the error or result.

    Returns (and pushes to XCom) a JSON-safe dict: ``train_path``, ``eval_path``,
    ``source``, ``rows_read``, ``valid``, ``invalid``, ``duplicates_removed``,
    ``train_count``, ``eval_count``, ``eval_fraction``, ``seed`` and ``errors`` (a
    list of ``{"line": ..., "message": ...}``).

    Example::

        from airflow_provider_tunedmodels.operators.dataset import (
            PrepareTuningDatasetOperator,
        )

        prepare = PrepareTuningDatasetOperator(
            task_id="prepare_dataset",
            source="s3://my-bucket/raw/tickets-{{ ds }}.csv",
            train_path="s3://my-bucket/prepared/{{ ds }}/train.jsonl",
            eval_path="s3://my-bucket/prepared/{{ ds }}/eval.jsonl",
            eval_fraction=0.2,
            drop_invalid=True,
        )
        # Downstream: prepare.output["train_path"], prepare.output["eval_path"]
    """

    template_fields: Sequence[str] = ("source", "train_path", "eval_path", "seed")
    ui_color = "#e8f3e8"

    def __init__(
        self,
        *,
        source: ExampleSource,
        train_path: Location,
        eval_path: Location | None,
        eval_fraction: float = 0.1,
        drop_invalid: bool = False,
        deduplicate: bool = True,
        seed: str = "",
        file_format: FileFormat | None = None,
        max_reported_errors: int = _DEFAULT_MAX_REPORTED_ERRORS,
        **kwargs: Any,
    ) -> None:
        """Store the parameters; see the class docstring for their meaning."""
        # Each key of the returned dict is also its own XCom, so downstream tasks
        # can use e.g. ``task.output["name"]``.
        kwargs.setdefault("multiple_outputs", True)
        super().__init__(**kwargs)
        self.source = source
        self.train_path = train_path
        self.eval_path = eval_path
        self.eval_fraction = eval_fraction
        self.drop_invalid = drop_invalid
        self.deduplicate = deduplicate
        self.seed = seed
        self.file_format = file_format
        self.max_reported_errors = max_reported_errors

    def execute(self, context: Context) -> dict[str, Any]:
        """Prepare the dataset and return its statistics (pushed to XCom)."""
        from airflow_provider_tunedmodels._compat import AirflowFailException
        from airflow_provider_tunedmodels.data import DatasetError, prepare_tuning_dataset

        try:
            prepared = prepare_tuning_dataset(
                self.source,
                train_path=self.train_path,
                eval_path=self.eval_path,
                eval_fraction=self.eval_fraction,
                drop_invalid=self.drop_invalid,
                deduplicate=self.deduplicate,
                seed=self.seed,
                file_format=self.file_format,
                max_reported_errors=self.max_reported_errors,
            )
        except DatasetError as error:
            # Bad data stays bad on retry: fail now instead of using up the retries.
            raise AirflowFailException(str(error)) from None
        self._log_result(prepared)
        return prepared.to_dict()

    def _log_result(self, prepared: PreparedDataset) -> None:
        self.log.info(
            "Read %d records from %s: %d valid, %d invalid, %d duplicates removed.",
            prepared.rows_read,
            prepared.source,
            prepared.valid,
            prepared.invalid,
            prepared.duplicates_removed,
        )
        self.log.info(
            "Wrote %d training examples to %s and %d evaluation examples to %s.",
            prepared.train_count,
            prepared.train_path,
            prepared.eval_count,
            prepared.eval_path,
        )
        if prepared.invalid:
            listed = "\n".join(f"  {error}" for error in prepared.errors)
            more = prepared.invalid - len(prepared.errors)
            suffix = f"\n  and {more:,} more" if more else ""
            self.log.warning("Dropped %d invalid records:\n%s%s", prepared.invalid, listed, suffix)
