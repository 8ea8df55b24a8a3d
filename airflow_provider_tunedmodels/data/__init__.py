"""Read, validate, deduplicate and split tuning data, streaming and without network access.

The main entry point is :func:`prepare_tuning_dataset`; the readers, writers and
validators it is built from are public too, for use in ``@task`` functions.

For Vertex AI tuning: :func:`write_supervised_jsonl` and :func:`write_preference_jsonl`
convert examples and chat transcripts, :func:`validate_vertex_dataset` checks a file
as Google's published checks do, and :func:`estimate_billable_tokens` estimates what
a tuning job on it bills.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.data.errors import (
    DatasetError,
    DatasetLimitError,
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
from airflow_provider_tunedmodels.data.token_estimate import (
    DEFAULT_EPOCH_COUNT,
    BillingEstimate,
    count_tokens,
    estimate_billable_tokens,
)
from airflow_provider_tunedmodels.data.validation import (
    RowError,
    check_record,
    example_problems,
    validate_example,
)
from airflow_provider_tunedmodels.data.vertex_format import (
    Conversation,
    Message,
    PreferenceExample,
    conversation_from_messages,
    preference_record,
    supervised_record,
    write_preference_jsonl,
    write_supervised_jsonl,
)
from airflow_provider_tunedmodels.data.vertex_rules import preference_problems, supervised_problems
from airflow_provider_tunedmodels.data.vertex_validation import (
    VertexDatasetReport,
    validate_vertex_dataset,
)

__all__ = [
    "DEFAULT_EPOCH_COUNT",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "BillingEstimate",
    "Conversation",
    "DatasetError",
    "DatasetLimitError",
    "DatasetValidationError",
    "EvalSelector",
    "Example",
    "ExampleSource",
    "FileFormat",
    "InvalidRecordError",
    "Location",
    "Message",
    "PreferenceExample",
    "PreparedDataset",
    "RowError",
    "SourceFormatError",
    "UnreadableRecord",
    "VertexDatasetReport",
    "check_record",
    "conversation_from_messages",
    "count_tokens",
    "estimate_billable_tokens",
    "example_fingerprint",
    "example_from_record",
    "example_problems",
    "iter_examples",
    "iter_records",
    "normalize_whitespace",
    "preference_problems",
    "preference_record",
    "prepare_tuning_dataset",
    "supervised_problems",
    "supervised_record",
    "validate_example",
    "validate_vertex_dataset",
    "write_jsonl",
    "write_preference_jsonl",
    "write_supervised_jsonl",
]
