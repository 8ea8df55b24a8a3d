"""Build and check a ``tunedModels.create`` request locally, before anything is sent.

Used by :class:`~airflow_provider_tunedmodels.operators.tuned_model.CreateTunedModelOperator`
when its task runs; every problem is collected into one
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.gemini import limits
from airflow_provider_tunedmodels.models.gemini.names import (
    BASE_MODEL,
    TUNED_MODEL,
    TUNED_MODEL_ID_RULE,
    parse_name,
)
from airflow_provider_tunedmodels.models.problems import wire_key
from airflow_provider_tunedmodels.operators._arguments import (
    display_name_problems,
    hyperparameter_problems,
    is_literal,
    literal_name_problems,
    number_argument_problems,
)

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.data import Example, ExampleSource, FileFormat
    from airflow_provider_tunedmodels.models.gemini import Hyperparameters, TunedModel

__all__ = [
    "build_tuned_model",
    "create_argument_problems",
    "create_spelling",
    "load_training_examples",
    "normalise_tuned_model_id",
]

#: Bad training records listed in an error before the rest are counted.
MAX_LISTED_BAD_RECORDS = 20


#: Wire paths of a ``tunedModels.create`` request, as the create operator's parameters.
_CREATE_PARAMETERS = {
    "tunedModelId": "tuned_model_id",
    "baseModel / tunedModelSource": "base_model / source_model",
    "baseModel": "base_model",
    "tunedModelSource.tunedModel": "source_model",
    "tunedModelSource": "source_model",
    "displayName": "display_name",
    "topP": "top_p",
    "topK": "top_k",
    "tuningTask.hyperparameters": "hyperparameters",
    "tuningTask.trainingData.examples.examples": "training_data",
}


def create_spelling(hyperparameters: Mapping[str, Any] | None) -> dict[str, str]:
    """How the create operator's caller names each field of the request."""
    spelling = dict(_CREATE_PARAMETERS)
    for key in hyperparameters or {}:
        spelling[f"tuningTask.hyperparameters.{wire_key(str(key))}"] = f"hyperparameters[{key!r}]"
    return spelling


def create_argument_problems(
    *,
    tuned_model_id: object,
    base_model: object,
    source_model: object,
    display_name: object,
    temperature: object,
    top_p: object,
    top_k: object,
    hyperparameters: object,
) -> list[str]:
    """Problems of the create operator's arguments; templates are left for the rendered check."""
    problems = _id_problems(tuned_model_id)
    if (base_model is None) == (source_model is None):
        problems.append(
            "base_model / source_model: give exactly one, a base model such as "
            "'models/gemini-1.5-flash-001-tuning' or a tuned model to tune further"
        )
    problems += literal_name_problems(base_model, BASE_MODEL, "base_model")
    problems += literal_name_problems(source_model, TUNED_MODEL, "source_model")
    problems += display_name_problems(display_name)
    problems += number_argument_problems(
        "temperature", temperature, low=limits.MIN_TEMPERATURE, high=limits.MAX_TEMPERATURE
    )
    problems += number_argument_problems("top_p", top_p, low=0.0, high=1.0)
    if isinstance(top_k, float):
        problems.append(f"top_k: {top_k} is not a whole number")
    else:
        problems += number_argument_problems("top_k", top_k, low=limits.MIN_TOP_K, high=2**31 - 1)
    if isinstance(hyperparameters, Mapping) or is_literal(hyperparameters):
        problems += hyperparameter_problems(hyperparameters)
    return problems


def _id_problems(tuned_model_id: object) -> list[str]:
    if tuned_model_id is None or not is_literal(tuned_model_id):
        return []
    value = str(tuned_model_id).strip().removeprefix("tunedModels/")
    if limits.TUNED_MODEL_ID_PATTERN.fullmatch(value):
        return []
    return [f"tuned_model_id: {value!r} {TUNED_MODEL_ID_RULE}"]


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
    from airflow_provider_tunedmodels.models.gemini import (
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
    problems = _id_problems(value)
    if problems:
        raise InvalidRequestError("tuned_model_id", problems)
    return value.strip().removeprefix("tunedModels/")


def _hyperparameters(hyperparameters: Mapping[str, Any] | None) -> Hyperparameters | None:
    from airflow_provider_tunedmodels.models.gemini import Hyperparameters

    if not hyperparameters:
        return None
    problems = hyperparameter_problems(hyperparameters)
    if problems:
        raise InvalidRequestError("hyperparameters", problems)
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
    return parse_name(base_model, BASE_MODEL, field="base_model")


def _source_model_path(source_model: str) -> str:
    return parse_name(source_model, TUNED_MODEL, field="source_model")
