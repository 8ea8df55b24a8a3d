"""Exceptions raised while reading, validating and preparing tuning data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.data.validation import RowError

__all__ = [
    "DatasetError",
    "DatasetLimitError",
    "DatasetValidationError",
    "InvalidRecordError",
    "SourceFormatError",
]


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
        file_problems: limits the whole file breaks as well, if any.
    """

    def __init__(
        self,
        source: str,
        errors: Sequence[RowError],
        invalid_count: int,
        rows_read: int,
        *,
        file_problems: Sequence[str] = (),
    ) -> None:
        """Build the message: a headline, one line per reported record, the rest, the file."""
        self.errors = tuple(errors)
        self.invalid_count = invalid_count
        self.rows_read = rows_read
        self.file_problems = tuple(file_problems)
        lines = [
            f"{invalid_count:,} of {rows_read:,} records in {source} are invalid; "
            "fix them, or pass drop_invalid=True to drop and count them:"
        ]
        lines += [f"  {error}" for error in self.errors]
        if invalid_count > len(self.errors):
            lines.append(f"  and {invalid_count - len(self.errors):,} more")
        lines += [f"  and {problem}" for problem in self.file_problems]
        super().__init__("\n".join(lines))


class DatasetLimitError(DatasetError):
    """A whole file breaks a size or count limit, whatever its records say.

    Attributes:
        problems: each broken limit, in words.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        """Build the message: a headline and one line per broken limit."""
        self.problems = tuple(problems)
        lines = [f"{source} breaks the dataset limits:", *(f"  {p}" for p in self.problems)]
        super().__init__("\n".join(lines))
