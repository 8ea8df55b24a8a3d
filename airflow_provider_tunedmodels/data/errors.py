"""Exceptions raised while reading, validating and preparing tuning data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.data.validation import RowError

__all__ = ["DatasetError", "DatasetValidationError", "InvalidRecordError", "SourceFormatError"]


class DatasetError(ValueError):
    """Base class: the tuning data cannot be used as it is."""


class InvalidRecordError(DatasetError):
    """One record cannot become a valid example; the message says why."""


class SourceFormatError(DatasetError):
    """A whole source cannot be read (unknown format, CSV header without an output column)."""


class DatasetValidationError(DatasetError):
    """Some records are invalid and ``drop_invalid`` was not set.

    Attributes:
        errors: the first invalid records (up to the reporting cap), in file order.
        invalid_count: how many records are invalid in total.
        rows_read: how many records were read.
    """

    def __init__(
        self, source: str, errors: Sequence[RowError], invalid_count: int, rows_read: int
    ) -> None:
        """Build the message: a headline, one line per reported record, then the rest."""
        self.errors = tuple(errors)
        self.invalid_count = invalid_count
        self.rows_read = rows_read
        lines = [
            f"{invalid_count:,} of {rows_read:,} records in {source} are invalid; "
            "fix them, or pass drop_invalid=True to drop and count them:"
        ]
        lines += [f"  {error}" for error in self.errors]
        if invalid_count > len(self.errors):
            lines.append(f"  and {invalid_count - len(self.errors):,} more")
        super().__init__("\n".join(lines))
