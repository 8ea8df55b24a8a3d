"""Build and check a ``tunedModels.create`` request locally, before anything is sent.

Used by :class:`~airflow_provider_tunedmodels.operators.tuned_model.CreateTunedModelOperator`
when its task runs; every problem is collected into one
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.core.errors import InvalidRequestError

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.data import Example, ExampleSource, FileFormat
    from airflow_provider_tunedmodels.models import Hyperparameters, TunedModel

__all__ = ["build_tuned_model", "load_training_examples", "normalise_tuned_model_id"]

#: Accepted hyperparameter keys (snake_case or camelCase).
HYPERPARAMETER_KEYS = frozenset(
    {
        "learning_rate",
        "learningRate",
        "learning_rate_multiplier",
        "learningRateMultiplier",
        "epoch_count",
        "epochCount",
        "batch_size",
        "batchSize",
    }
)
#: Bad training records listed in an error before the rest are counted.
MAX_LISTED_BAD_RECORDS = 20


def load_training_examples(
    source: ExampleSource, *, file_format: FileFormat | None = None
) -> list[Example]:
    """Read every example of ``source`` (file, URI or records) and check each one.

    :raises InvalidRequestError: some records are invalid (each listed with its line
        or item number), the file cannot be read as JSONL/CSV, or there is no example.
    """
    from airflow_provider_tunedmodels.data import DatasetError, RowError, check_record, iter_records
    from airflow_provider_tunedmodels.data.examples import is_file_source

    if isinstance(source, (Mapping, bytes)):
        raise InvalidRequestError(
            "training_data",
            [
                "expected a file path or URI, or a list of records; for the dataset "
                "preparation operator's output pass prepare.output['train_path']"
            ],
        )
    unit = "line" if is_file_source(source) else "item"
    examples: list[Example] = []
    bad: list[str] = []
    try:
        for position, record in iter_records(source, file_format=file_format):
            checked = check_record(position, record, unit=unit)
            if isinstance(checked, RowError):
                bad.append(str(checked))
            else:
                examples.append(checked)
    except DatasetError as exc:
        raise InvalidRequestError("training_data", [str(exc)]) from None
    _raise_for_bad_records(bad, len(examples))
    return examples


def _raise_for_bad_records(bad: list[str], good: int) -> None:
    if bad:
        listed = bad[:MAX_LISTED_BAD_RECORDS]
        if len(bad) > MAX_LISTED_BAD_RECORDS:
            listed.append(f"... and {len(bad) - MAX_LISTED_BAD_RECORDS} more invalid records")
        raise InvalidRequestError(
            f"training_data ({len(bad)} of {len(bad) + good} records)", listed
        )
    if not good:
        raise InvalidRequestError("training_data", ["no examples: at least one is required"])


def build_tuned_model(
    *,
    examples: Iterable[Example],
    base_model: str | None,
    source_model: str | None,
    display_name: str | None,
    description: str | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    hyperparameters: Mapping[str, Any] | None,
) -> TunedModel:
    """The ``TunedModel`` to create (not yet validated against the API's rules)."""
    from airflow_provider_tunedmodels.models import (
        Dataset,
        TunedModel,
        TunedModelSource,
        TuningExample,
        TuningExamples,
        TuningTask,
    )

    wire_examples = [
        TuningExample(text_input=e.text_input or None, output=e.output) for e in examples
    ]
    return TunedModel(
        base_model=_base_model_path(base_model),
        tuned_model_source=(
            TunedModelSource(tuned_model=_source_model_path(source_model)) if source_model else None
        ),
        display_name=display_name or None,
        description=description or None,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        tuning_task=TuningTask(
            hyperparameters=_hyperparameters(hyperparameters),
            training_data=Dataset(examples=TuningExamples(examples=wire_examples)),
        ),
    )


def normalise_tuned_model_id(value: str) -> str:
    """The bare id from ``my-model`` or ``tunedModels/my-model``, checked against the id rule."""
    from airflow_provider_tunedmodels.models.validation import validate_tuned_model_id

    tuned_model_id = value.strip().removeprefix("tunedModels/")
    validate_tuned_model_id(tuned_model_id)
    return tuned_model_id


def _hyperparameters(hyperparameters: Mapping[str, Any] | None) -> Hyperparameters | None:
    from airflow_provider_tunedmodels.models import Hyperparameters

    if not hyperparameters:
        return None
    if not isinstance(hyperparameters, Mapping):
        raise InvalidRequestError(
            "hyperparameters", [f"expected a mapping, got {type(hyperparameters).__name__}"]
        )
    unknown = sorted(str(key) for key in hyperparameters if key not in HYPERPARAMETER_KEYS)
    if unknown:
        raise InvalidRequestError(
            "hyperparameters",
            [
                f"unknown keys {', '.join(unknown)}; use learning_rate or "
                "learning_rate_multiplier, epoch_count and batch_size"
            ],
        )
    try:
        return Hyperparameters.model_validate(dict(hyperparameters))
    except ValueError as exc:
        raise InvalidRequestError("hyperparameters", [_first_line(exc)]) from None


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3])


def _base_model_path(base_model: str | None) -> str | None:
    if not base_model:
        return None
    name = base_model.strip()
    return name if "/" in name else f"models/{name}"


def _source_model_path(source_model: str) -> str:
    name = source_model.strip()
    return name if "/" in name else f"tunedModels/{name}"
