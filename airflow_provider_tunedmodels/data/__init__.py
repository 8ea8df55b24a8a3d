"""Read, validate, deduplicate and split tuning data, streaming and without network access.

The main entry point is :func:`prepare_tuning_dataset`; the readers, writers and
validators it is built from are public too, for use in ``@task`` functions.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.data.errors import (
    DatasetError,
    DatasetValidationError,
    InvalidRecordError,
    SourceFormatError,
)
from airflow_provider_tunedmodels.data.examples import (
    INPUT_KEYS,
    OUTPUT_KEYS,
    Example,
    ExampleSource,
    FileFormat,
    UnreadableRecord,
    example_from_record,
    iter_examples,
    iter_records,
    write_jsonl,
)
from airflow_provider_tunedmodels.data.fingerprint import (
    EvalSelector,
    example_fingerprint,
    normalize_whitespace,
)
from airflow_provider_tunedmodels.data.prepare import PreparedDataset, prepare_tuning_dataset
from airflow_provider_tunedmodels.data.storage import Location
from airflow_provider_tunedmodels.data.validation import (
    RowError,
    check_record,
    example_problems,
    validate_example,
)

__all__ = [
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "DatasetError",
    "DatasetValidationError",
    "EvalSelector",
    "Example",
    "ExampleSource",
    "FileFormat",
    "InvalidRecordError",
    "Location",
    "PreparedDataset",
    "RowError",
    "SourceFormatError",
    "UnreadableRecord",
    "check_record",
    "example_fingerprint",
    "example_from_record",
    "example_problems",
    "iter_examples",
    "iter_records",
    "normalize_whitespace",
    "prepare_tuning_dataset",
    "validate_example",
    "write_jsonl",
]
