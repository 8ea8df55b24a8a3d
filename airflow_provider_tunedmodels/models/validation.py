"""Local checks that mirror the server's documented rules, run before any request.

Each check collects every problem it finds and raises one
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError` naming the
field (and example index) to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic.alias_generators import to_camel

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models import limits
from airflow_provider_tunedmodels.models.permission import GranteeType, Permission, Role
from airflow_provider_tunedmodels.models.tuned_model import TunedModel

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "MUTABLE_TUNED_MODEL_FIELDS",
    "raise_for_problems",
    "update_mask_for",
    "validate_new_permission",
    "validate_new_tuned_model",
    "validate_tuned_model_id",
    "validate_tuned_model_update",
]

#: Wire names of the TunedModel fields that ``tunedModels.patch`` may change.
MUTABLE_TUNED_MODEL_FIELDS = frozenset(
    {"displayName", "description", "temperature", "topP", "topK", "readerProjectNumbers"}
)
_IMMUTABLE_REASONS = {
    "name": "is output only (it is fixed at creation)",
    "baseModel": "is immutable",
    "tunedModelSource": "is immutable",
    "tuningTask": "is immutable (training data and hyperparameters are fixed at creation)",
    "state": "is output only",
    "createTime": "is output only",
    "updateTime": "is output only",
}
#: How many problems an error lists before summarising the rest.
MAX_LISTED_PROBLEMS = 20


def validate_tuned_model_id(tuned_model_id: str) -> None:
    """Check a ``tunedModelId`` against ``[a-z]([a-z0-9-]{0,38}[a-z0-9])?``."""
    problems = _tuned_model_id_problems(tuned_model_id)
    if problems:
        raise InvalidRequestError(f"tuned model id {tuned_model_id!r}", problems)


def validate_new_tuned_model(tuned_model: TunedModel, tuned_model_id: str | None = None) -> None:
    """Check a ``tunedModels.create`` request against every documented rule."""
    problems: list[str] = []
    if tuned_model_id is not None:
        problems += _tuned_model_id_problems(tuned_model_id)
    problems += _source_problems(tuned_model)
    problems += _mutable_field_problems(tuned_model)
    problems += _hyperparameter_problems(tuned_model)
    problems += _training_data_problems(tuned_model)
    raise_for_problems(problems, "the tuned model to create")


def validate_tuned_model_update(changes: TunedModel, update_mask: Iterable[str]) -> list[str]:
    """Check a patch and return the normalised (camelCase) mask paths."""
    paths = [to_camel(p.strip()) for p in update_mask if p.strip()]
    problems = [
        f"{p}: {_IMMUTABLE_REASONS.get(p.split('.')[0], 'is not a field that can be updated')}; updatable fields are {', '.join(sorted(MUTABLE_TUNED_MODEL_FIELDS))}"
        for p in paths
        if p not in MUTABLE_TUNED_MODEL_FIELDS
    ]
    if not paths:
        problems.append("nothing to update: give at least one field or an update mask")
    problems += _mutable_field_problems(changes)
    raise_for_problems(problems, "the tuned model update")
    return paths


def update_mask_for(fields: Mapping[str, Any]) -> list[str]:
    """The update mask for a mapping of changed fields (snake_case or camelCase keys)."""
    return [to_camel(key) for key in fields]


def validate_new_permission(permission: Permission) -> None:
    """Check a permission to grant: grantee, email and role must agree."""
    problems: list[str] = []
    grantee = permission.grantee_type
    if permission.role in (None, Role.ROLE_UNSPECIFIED):
        problems.append("role: required; one of READER or WRITER")
    elif permission.role == Role.OWNER:
        problems.append("role: OWNER cannot be granted; use transferOwnership to change the owner")
    if grantee == GranteeType.EVERYONE and permission.email_address:
        problems.append("emailAddress: must not be set when granteeType is EVERYONE")
    if grantee != GranteeType.EVERYONE and not permission.email_address:
        problems.append("emailAddress: required unless granteeType is EVERYONE")
    raise_for_problems(problems, "the permission to create")


def raise_for_problems(problems: list[str], what: str) -> None:
    """Raise one :class:`InvalidRequestError` listing ``problems`` (if any) about ``what``."""
    if not problems:
        return
    listed = problems[:MAX_LISTED_PROBLEMS]
    if len(problems) > MAX_LISTED_PROBLEMS:
        listed.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more problems")
    raise InvalidRequestError(what, listed)


def _tuned_model_id_problems(tuned_model_id: str) -> list[str]:
    if limits.TUNED_MODEL_ID_PATTERN.fullmatch(tuned_model_id):
        return []
    return [
        f"tunedModelId {tuned_model_id!r}: must be 1-40 characters of lowercase letters, digits "
        "and hyphens, start with a letter and end with a letter or digit "
        "(pattern [a-z]([a-z0-9-]{0,38}[a-z0-9])?)"
    ]


def _source_problems(model: TunedModel) -> list[str]:
    has_base = bool(model.base_model)
    has_source = bool(model.tuned_model_source and model.tuned_model_source.tuned_model)
    if has_base == has_source:
        return [
            "baseModel / tunedModelSource: set exactly one, e.g. baseModel "
            "'models/gemini-1.5-flash-001-tuning' or tunedModelSource.tunedModel 'tunedModels/x'"
        ]
    return []


def _mutable_field_problems(model: TunedModel) -> list[str]:
    problems: list[str] = []
    if model.display_name and len(model.display_name) > limits.MAX_DISPLAY_NAME_LENGTH:
        problems.append(
            f"displayName: {len(model.display_name)} characters; the limit is "
            f"{limits.MAX_DISPLAY_NAME_LENGTH}, spaces included"
        )
    if model.temperature is not None and not (
        limits.MIN_TEMPERATURE <= model.temperature <= limits.MAX_TEMPERATURE
    ):
        problems.append(f"temperature: {model.temperature} is outside [0.0, 1.0]")
    if model.top_p is not None and not 0.0 <= model.top_p <= 1.0:
        problems.append(f"topP: {model.top_p} is outside [0.0, 1.0]")
    if model.top_k is not None and model.top_k < 1:
        problems.append(f"topK: {model.top_k} must be at least 1")
    return problems


def _hyperparameter_problems(model: TunedModel) -> list[str]:
    hp = model.tuning_task.hyperparameters if model.tuning_task else None
    if hp is None:
        return []
    problems: list[str] = []
    if hp.learning_rate is not None and hp.learning_rate_multiplier is not None:
        problems.append(
            "tuningTask.hyperparameters: learningRate and learningRateMultiplier are mutually "
            "exclusive; set one"
        )
    for field, value in (
        ("learningRate", hp.learning_rate),
        ("learningRateMultiplier", hp.learning_rate_multiplier),
    ):
        if value is not None and value <= 0:
            problems.append(f"tuningTask.hyperparameters.{field}: {value} must be positive")
    for field, count in (("epochCount", hp.epoch_count), ("batchSize", hp.batch_size)):
        if count is not None and count < 1:
            problems.append(f"tuningTask.hyperparameters.{field}: {count} must be at least 1")
    return problems


def _training_data_problems(model: TunedModel) -> list[str]:
    task = model.tuning_task
    data = task.training_data if task else None
    examples = data.examples.examples if data and data.examples else None
    where = "tuningTask.trainingData.examples.examples"
    if not examples:
        return [f"{where}: at least one training example is required"]
    problems: list[str] = []
    for index, example in enumerate(examples):
        if not example.output:
            problems.append(f"{where}[{index}].output: missing; every example needs an output")
        elif len(example.output) > limits.MAX_EXAMPLE_OUTPUT_CHARS:
            problems.append(
                f"{where}[{index}].output: {len(example.output):,} characters; the limit is "
                f"{limits.MAX_EXAMPLE_OUTPUT_CHARS:,}"
            )
        text_input = example.text_input or ""
        if len(text_input) > limits.MAX_EXAMPLE_INPUT_CHARS:
            problems.append(
                f"{where}[{index}].textInput: {len(text_input):,} characters; the limit is "
                f"{limits.MAX_EXAMPLE_INPUT_CHARS:,}"
            )
    return problems
