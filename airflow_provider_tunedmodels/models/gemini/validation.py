"""Local checks that mirror the server's documented rules, run before any request.

Each check collects every problem it finds and raises one
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError` naming the
field (and example index) to fix. Fields are named by their wire path unless a
*spelling* (see :mod:`~airflow_provider_tunedmodels.models.problems`) says how
the caller wrote them, e.g. ``display_name`` for an operator's argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from airflow_provider_tunedmodels.models.gemini import limits
from airflow_provider_tunedmodels.models.gemini.names import (
    BASE_MODEL,
    TUNED_MODEL,
    tuned_model_id_problem,
)
from airflow_provider_tunedmodels.models.gemini.permission import GranteeType, Permission, Role
from airflow_provider_tunedmodels.models.gemini.tuned_model import TunedModel
from airflow_provider_tunedmodels.models.gemini.update_mask import (
    MUTABLE_TUNED_MODEL_FIELDS,
    mask_path,
    update_mask_problems,
)
from airflow_provider_tunedmodels.models.generation import GenerateContentRequest
from airflow_provider_tunedmodels.models.problems import (
    Problem,
    Spelling,
    raise_problems,
    update_mask_for,
)
from airflow_provider_tunedmodels.models.requests import number_problems

__all__ = [
    "MUTABLE_TUNED_MODEL_FIELDS",
    "generation_request_problems",
    "page_size_problems",
    "tuned_model_problems",
    "update_mask_for",
    "validate_new_permission",
    "validate_new_tuned_model",
    "validate_tuned_model_id",
    "validate_tuned_model_update",
]

_EXAMPLES = "tuningTask.trainingData.examples.examples"


def validate_tuned_model_id(tuned_model_id: str, *, field: str = "tunedModelId") -> None:
    """Check a ``tunedModelId`` against ``[a-z]([a-z0-9-]{0,38}[a-z0-9])?``."""
    problems = _tuned_model_id_problems(tuned_model_id)
    if problems:
        raise_problems(problems, f"tuned model id {tuned_model_id!r}", {"tunedModelId": field})


def validate_new_tuned_model(
    tuned_model: TunedModel,
    tuned_model_id: str | None = None,
    *,
    spelling: Spelling | None = None,
) -> None:
    """Check a ``tunedModels.create`` request against every documented rule.

    :param spelling: how the caller names the fields (wire path to their name).
    """
    raise_problems(
        tuned_model_problems(tuned_model, tuned_model_id), "the tuned model to create", spelling
    )


def tuned_model_problems(
    tuned_model: TunedModel, tuned_model_id: str | None = None
) -> list[Problem]:
    """Every problem of a ``tunedModels.create`` request, by wire path."""
    problems = number_problems(tuned_model)
    if tuned_model_id is not None:
        problems += _tuned_model_id_problems(tuned_model_id)
    problems += _source_problems(tuned_model)
    problems += _mutable_field_problems(tuned_model)
    problems += _hyperparameter_problems(tuned_model)
    problems += _training_data_problems(tuned_model)
    return problems


def validate_tuned_model_update(
    changes: TunedModel, update_mask: Iterable[str], *, spelling: Spelling | None = None
) -> list[str]:
    """Check a patch and return the normalised (camelCase) mask paths.

    Paths are reported as the caller wrote them; snake_case or camelCase segments
    are both accepted (``top_p``, ``topP``).
    """
    written = [path.strip() for path in update_mask if path.strip()]
    paths = [mask_path(path) for path in written]
    problems = update_mask_problems(written)
    if not paths:
        problems.append(Problem("", "nothing to update: give at least one field or an update mask"))
    problems += _mutable_field_problems(changes)
    raise_problems(problems, "the tuned model update", spelling)
    return paths


def page_size_problems(page_size: object) -> list[str]:
    """Problems of a list call's ``pageSize``.

    0 or ``None`` asks for the server's default, and a size above the server's
    maximum (1000) is capped by the server, so only what cannot be sent is refused.
    """
    if page_size is None:
        return []
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        return [f"{page_size!r} is not a whole number; give 1-1000, or 0 for the default"]
    if page_size < 0:
        return [f"{page_size} is negative; give 1-1000, or 0 for the default"]
    if page_size > 2**31 - 1:
        return [f"{page_size} is beyond the int32 range; pages hold at most 1000 items anyway"]
    return []


def generation_request_problems(request: GenerateContentRequest) -> list[Problem]:
    """A generation request needs a conversation whose prompt (last user turn) has text."""
    contents = request.contents or []
    if not contents:
        return [Problem("contents", "empty; give a prompt, at least one turn with text")]
    users = [i for i, turn in enumerate(contents) if (turn.role or "user") == "user"]
    last = users[-1] if users else len(contents) - 1
    if not contents[last].text.strip():
        return [Problem(f"contents[{last}].parts", "the prompt is empty; give it some text")]
    return []


def validate_new_permission(permission: Permission, *, spelling: Spelling | None = None) -> None:
    """Check a permission to grant: grantee, email and role must agree."""
    problems: list[Problem] = []
    grantee = permission.grantee_type
    if permission.role in (None, Role.ROLE_UNSPECIFIED):
        problems.append(Problem("role", "required; one of READER or WRITER"))
    elif permission.role == Role.OWNER:
        problems.append(
            Problem("role", "OWNER cannot be granted; use transferOwnership to change the owner")
        )
    if grantee == GranteeType.EVERYONE and permission.email_address:
        problems.append(Problem("emailAddress", "must not be set when granteeType is EVERYONE"))
    if grantee != GranteeType.EVERYONE and not permission.email_address:
        problems.append(Problem("emailAddress", "required unless granteeType is EVERYONE"))
    raise_problems(problems, "the permission to create", spelling)


def _tuned_model_id_problems(tuned_model_id: str) -> list[Problem]:
    problem = tuned_model_id_problem(tuned_model_id)
    return [Problem("tunedModelId", problem)] if problem else []


def _source_problems(model: TunedModel) -> list[Problem]:
    source = model.tuned_model_source.tuned_model if model.tuned_model_source else None
    if bool(model.base_model) == bool(source):
        return [
            Problem(
                "baseModel / tunedModelSource",
                "set exactly one: a base model such as 'models/gemini-1.5-flash-001-tuning', "
                "or a tuned model to tune further such as 'tunedModels/x'",
            )
        ]
    if model.base_model and not BASE_MODEL.pattern.fullmatch(model.base_model):
        return [
            Problem("baseModel", f"{model.base_model!r} is not a base model name, 'models/<id>'")
        ]
    if source and not TUNED_MODEL.pattern.fullmatch(source):
        return [
            Problem(
                "tunedModelSource.tunedModel",
                f"{source!r} is not a tuned model name, 'tunedModels/<id>'",
            )
        ]
    return []


def _mutable_field_problems(model: TunedModel) -> list[Problem]:
    problems: list[Problem] = []
    if model.display_name and len(model.display_name) > limits.MAX_DISPLAY_NAME_LENGTH:
        problems.append(
            Problem(
                "displayName",
                f"{len(model.display_name)} characters; the limit is "
                f"{limits.MAX_DISPLAY_NAME_LENGTH}, spaces included",
            )
        )
    temperature, top_p = _finite(model.temperature), _finite(model.top_p)
    if temperature is not None and not (
        limits.MIN_TEMPERATURE <= temperature <= limits.MAX_TEMPERATURE
    ):
        problems.append(Problem("temperature", f"{temperature} is outside [0.0, 1.0]"))
    if top_p is not None and not 0.0 <= top_p <= 1.0:
        problems.append(Problem("topP", f"{top_p} is outside [0.0, 1.0]"))
    if model.top_k is not None and model.top_k < limits.MIN_TOP_K:
        problems.append(Problem("topK", f"{model.top_k} is negative; give 0 or more"))
    return problems


def _finite(value: float | None) -> float | None:
    """``value`` if it is a finite number; ``None`` otherwise (reported by the number check)."""
    return value if value is not None and math.isfinite(value) else None


def _hyperparameter_problems(model: TunedModel) -> list[Problem]:
    hp = model.tuning_task.hyperparameters if model.tuning_task else None
    if hp is None:
        return []
    where = "tuningTask.hyperparameters"
    problems: list[Problem] = []
    if hp.learning_rate is not None and hp.learning_rate_multiplier is not None:
        problems.append(
            Problem(
                where,
                "learningRate and learningRateMultiplier are mutually exclusive; set one",
            )
        )
    for field, value in (
        ("learningRate", _finite(hp.learning_rate)),
        ("learningRateMultiplier", _finite(hp.learning_rate_multiplier)),
    ):
        if value is not None and value <= 0:
            problems.append(Problem(f"{where}.{field}", f"{value} must be positive"))
    for field, count in (("epochCount", hp.epoch_count), ("batchSize", hp.batch_size)):
        if count is not None and count < 1:
            problems.append(Problem(f"{where}.{field}", f"{count} must be at least 1"))
    return problems


def _training_data_problems(model: TunedModel) -> list[Problem]:
    task = model.tuning_task
    data = task.training_data if task else None
    examples = data.examples.examples if data and data.examples else None
    if not examples:
        return [Problem(_EXAMPLES, "at least one training example is required")]
    problems: list[Problem] = []
    for index, example in enumerate(examples):
        where = f"{_EXAMPLES}[{index}]"
        if not example.output:
            problems.append(Problem(f"{where}.output", "missing; every example needs an output"))
        elif limits.is_blank_output(example.output):
            problems.append(
                Problem(f"{where}.output", "only whitespace; every example needs an output")
            )
        elif len(example.output) > limits.MAX_EXAMPLE_OUTPUT_CHARS:
            problems.append(
                Problem(
                    f"{where}.output",
                    f"{len(example.output):,} characters; the limit is "
                    f"{limits.MAX_EXAMPLE_OUTPUT_CHARS:,}",
                )
            )
        text_input = example.text_input or ""
        if len(text_input) > limits.MAX_EXAMPLE_INPUT_CHARS:
            problems.append(
                Problem(
                    f"{where}.textInput",
                    f"{len(text_input):,} characters; the limit is "
                    f"{limits.MAX_EXAMPLE_INPUT_CHARS:,}",
                )
            )
    return problems
