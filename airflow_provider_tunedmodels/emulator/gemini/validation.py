"""Validation of ``tunedModels`` requests against the documented limits of the Gemini API."""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument
from airflow_provider_tunedmodels.emulator.gemini import limits

__all__ = [
    "IMMUTABLE_PATHS",
    "MUTABLE_PATHS",
    "check_display_name",
    "check_sampling",
    "check_tuned_model_id",
    "examples_of",
    "hyperparameters_of",
    "update_paths",
]

#: Paths ``tunedModels.patch`` may update.
MUTABLE_PATHS = frozenset(
    {"display_name", "description", "temperature", "top_p", "top_k", "reader_project_numbers"}
)
#: Paths that exist but may not be updated.
IMMUTABLE_PATHS = frozenset(
    {
        "name",
        "base_model",
        "tuned_model_source",
        "tuned_model_source.tuned_model",
        "tuned_model_source.base_model",
        "state",
        "create_time",
        "update_time",
        "tuning_task",
        "tuning_task.start_time",
        "tuning_task.complete_time",
        "tuning_task.snapshots",
        "tuning_task.training_data",
        "tuning_task.hyperparameters",
        "tuning_task.hyperparameters.learning_rate",
        "tuning_task.hyperparameters.learning_rate_multiplier",
        "tuning_task.hyperparameters.epoch_count",
        "tuning_task.hyperparameters.batch_size",
    }
)


def check_tuned_model_id(tuned_model_id: str) -> None:
    """Refuse a ``tunedModelId`` the API would refuse."""
    if len(
        tuned_model_id
    ) > limits.MAX_TUNED_MODEL_ID_LENGTH or not limits.TUNED_MODEL_ID_PATTERN.fullmatch(
        tuned_model_id
    ):
        raise invalid_argument(
            f"Invalid tuned_model_id {tuned_model_id!r}: the id must be up to 40 characters, "
            "the first character must be a letter and the last a letter or a number, and it "
            "must match the regular expression [a-z]([a-z0-9-]{0,38}[a-z0-9])?."
        )


def check_display_name(display_name: str) -> None:
    """Refuse a ``displayName`` longer than the API allows."""
    if len(display_name) > limits.MAX_DISPLAY_NAME_LENGTH:
        raise invalid_argument(
            f"tuned_model.display_name must be at most {limits.MAX_DISPLAY_NAME_LENGTH} "
            f"characters including spaces, got {len(display_name)}."
        )


def check_sampling(model: dict[str, Any]) -> None:
    """Refuse sampling parameters outside their documented ranges."""
    temperature = model.get("temperature")
    if temperature is not None and not (
        limits.MIN_TEMPERATURE <= temperature <= limits.MAX_TEMPERATURE
    ):
        raise invalid_argument(
            f"tuned_model.temperature must be in [{limits.MIN_TEMPERATURE}, "
            f"{limits.MAX_TEMPERATURE}], got {temperature}."
        )
    top_p = model.get("topP")
    if top_p is not None and not 0.0 <= top_p <= 1.0:
        raise invalid_argument(f"tuned_model.top_p must be in [0.0, 1.0], got {top_p}.")
    top_k = model.get("topK")
    if top_k is not None and top_k < 0:
        raise invalid_argument(f"tuned_model.top_k must not be negative, got {top_k}.")


def examples_of(model: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``(textInput, output)`` pairs of a create request, checked against the limits."""
    task = model.get("tuningTask")
    if task is None:
        raise invalid_argument("tuned_model.tuning_task is required.")
    data = task.get("trainingData")
    if data is None:
        raise invalid_argument("tuned_model.tuning_task.training_data is required.")
    raw_examples = data.get("examples", {}).get("examples", [])
    if not raw_examples:
        raise invalid_argument(
            "tuned_model.tuning_task.training_data.examples must contain at least one example."
        )
    examples: list[tuple[str, str]] = []
    for index, example in enumerate(raw_examples):
        path = f"tuned_model.tuning_task.training_data.examples.examples[{index}]"
        text_input = str(example.get("textInput", ""))
        output = str(example.get("output", ""))
        if not output:
            raise invalid_argument(f"{path}.output is required.")
        if not output.strip():  # the provider's is_blank_output refuses the same, locally
            raise invalid_argument(f"{path}.output must not be blank.")
        if len(text_input) > limits.MAX_EXAMPLE_INPUT_CHARS:
            raise invalid_argument(
                f"{path}.text_input is longer than {limits.MAX_EXAMPLE_INPUT_CHARS} characters."
            )
        if len(output) > limits.MAX_EXAMPLE_OUTPUT_CHARS:
            raise invalid_argument(
                f"{path}.output is longer than {limits.MAX_EXAMPLE_OUTPUT_CHARS} characters."
            )
        examples.append((text_input, output))
    return examples


def hyperparameters_of(model: dict[str, Any]) -> dict[str, Any]:
    """The hyperparameters a create request sets, checked (unset ones stay unset)."""
    given: dict[str, Any] = model.get("tuningTask", {}).get("hyperparameters", {})
    path = "tuned_model.tuning_task.hyperparameters"
    if "learningRate" in given and "learningRateMultiplier" in given:
        raise invalid_argument(
            f"Only one of {path}.learning_rate and {path}.learning_rate_multiplier may be set."
        )
    for key, label in (
        ("learningRate", "learning_rate"),
        ("learningRateMultiplier", "learning_rate_multiplier"),
        ("epochCount", "epoch_count"),
        ("batchSize", "batch_size"),
    ):
        if key in given and given[key] <= 0:
            raise invalid_argument(f"{path}.{label} must be positive, got {given[key]}.")
    return given


def update_paths(
    update: dict[str, Any], mask: list[str] | None, settable: dict[str, str]
) -> list[str]:
    """The paths a patch applies: the mask's, checked, or else the ``settable`` fields present."""
    if mask is None:
        return [path for path, key in settable.items() if key in update]
    for path in mask:
        if path in MUTABLE_PATHS:
            continue
        if path in IMMUTABLE_PATHS:
            raise invalid_argument(
                f"update_mask path {path!r} refers to an immutable or output-only field; "
                f"updatable fields are: {', '.join(sorted(MUTABLE_PATHS))}."
            )
        raise invalid_argument(f"Invalid update_mask path {path!r}: no such field in TunedModel.")
    return mask
