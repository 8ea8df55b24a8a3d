"""Checks of operator arguments, in the operator's own parameter names.

A literal argument (a plain value, not a template or an upstream task's output)
is checked when the DAG file is parsed, so a mistake shows as an import error
in the UI at once instead of failing a task after its upstream tasks ran. The
same checks run again on the rendered values when the task runs. Only light
modules are imported here: DAG parsing must not load the hook or pydantic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.gemini import limits
from airflow_provider_tunedmodels.models.gemini.names import TUNED_MODEL, NameKind, parse_name
from airflow_provider_tunedmodels.models.gemini.update_mask import update_mask_problems
from airflow_provider_tunedmodels.models.problems import Problem, raise_problems, wire_key

__all__ = [
    "HYPERPARAMETER_FIELDS",
    "bad_input_fails_the_task",
    "display_name_problems",
    "hyperparameter_problems",
    "is_literal",
    "literal_name_problems",
    "name_argument",
    "number_argument_problems",
    "raise_argument_problems",
    "update_argument_problems",
]

#: Wire names of the hyperparameters, with the kind of number each takes.
HYPERPARAMETER_FIELDS = {
    "learningRate": "rate",
    "learningRateMultiplier": "rate",
    "epochCount": "count",
    "batchSize": "count",
}
_JINJA_MARKERS = ("{{", "{%", "{#")
_INT32_MAX = 2**31 - 1


def is_literal(value: object) -> bool:
    """Whether ``value`` is known when the DAG is parsed (no template, no upstream output)."""
    if isinstance(value, str):
        return not any(marker in value for marker in _JINJA_MARKERS)
    return value is None or isinstance(value, (bool, int, float))


def literal_name_problems(value: object, kind: NameKind, field: str) -> list[str]:
    """The problem of a literal name argument, if any (templates are checked when rendered)."""
    if value is None or not is_literal(value):
        return []
    try:
        parse_name(value, kind, field=field)
    except InvalidRequestError as error:
        return [f"{field}: {problem}" for problem in error.problems]
    return []


def name_argument(value: object, kind: NameKind, field: str) -> str:
    """The rendered name argument as a full name; raise naming ``field`` if it is not one."""
    return parse_name(value, kind, field=field)


def number_argument_problems(
    field: str, value: object, *, low: float | None = None, high: float | None = None
) -> list[str]:
    """Problems of a numeric argument: not a number, not finite, or outside ``[low, high]``."""
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{field}: {value!r} is not a number"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{field}: {value} is not a finite number"]
    if low is not None and high is not None and high - low <= 1 and not low <= value <= high:
        return [f"{field}: {value} must be in [{low:g}, {high:g}]"]
    if low is not None and value < low:
        return [f"{field}: {value} must be at least {low:g}"]
    if high is not None and value > high:
        return [f"{field}: {value} must be at most {high}"]
    return []


def hyperparameter_problems(hyperparameters: object, field: str = "hyperparameters") -> list[str]:
    """Problems of a hyperparameters mapping (snake_case or camelCase keys).

    Values that are templates are left for the rendered check.
    """
    if hyperparameters is None:
        return []
    if not isinstance(hyperparameters, Mapping):
        return [f"{field}: expected a mapping, got {type(hyperparameters).__name__}"]
    problems: list[str] = []
    given = set()
    for key, value in hyperparameters.items():
        name = f"{field}[{key!r}]"
        kind = HYPERPARAMETER_FIELDS.get(wire_key(str(key)))
        if kind is None:
            problems.append(
                f"{name}: unknown; use learning_rate or learning_rate_multiplier, "
                "epoch_count and batch_size"
            )
            continue
        given.add(wire_key(str(key)))
        if not is_literal(value):
            continue
        if kind == "count" and isinstance(value, float):
            problems.append(f"{name}: {value} is not a whole number")
        elif kind == "count":
            problems += number_argument_problems(name, value, low=1, high=_INT32_MAX)
        else:
            problems += _rate_problems(name, value)
    if {"learningRate", "learningRateMultiplier"} <= given:
        problems.append(
            f"{field}: learning_rate and learning_rate_multiplier are mutually exclusive; set one"
        )
    return problems


def _rate_problems(name: str, value: object) -> list[str]:
    problems = number_argument_problems(name, value)
    if not problems and isinstance(value, (int, float)) and value <= 0:
        problems.append(f"{name}: {value} must be positive")
    return problems


def display_name_problems(display_name: object, field: str = "display_name") -> list[str]:
    """A display name longer than the API allows."""
    too_long = isinstance(display_name, str) and len(display_name) > limits.MAX_DISPLAY_NAME_LENGTH
    if not too_long or not is_literal(display_name):
        return []
    return [
        f"{field}: {len(str(display_name))} characters; the limit is "
        f"{limits.MAX_DISPLAY_NAME_LENGTH}, spaces included"
    ]


def update_argument_problems(
    tuned_model_name: object, fields: object, update_mask: object
) -> list[str]:
    """Problems of the update operator's literal arguments: the name, the fields, the mask."""
    problems = literal_name_problems(tuned_model_name, TUNED_MODEL, "tuned_model_name")
    if isinstance(fields, Mapping):
        problems += [
            f"fields[{problem.field!r}]: {problem.text}"
            for problem in update_mask_problems(str(key) for key in fields)
        ]
    elif fields is not None and is_literal(fields):
        problems.append(f"fields: expected a mapping of field names to values, got {fields!r}")
    if isinstance(update_mask, str) and is_literal(update_mask):
        paths = [path for path in update_mask.split(",") if path.strip()]
        problems += [f"update_mask: {p.render()}" for p in update_mask_problems(paths)]
    elif isinstance(update_mask, (list, tuple)) and all(is_literal(p) for p in update_mask):
        problems += [
            f"update_mask: {p.render()}" for p in update_mask_problems(map(str, update_mask))
        ]
    return problems


def raise_argument_problems(problems: list[str], operator: object) -> None:
    """Raise one error listing every problem of an operator's arguments, naming its task."""
    task = f"task {getattr(operator, 'task_id', '?')!r} ({type(operator).__name__})"
    raise_problems([Problem("", problem) for problem in problems], task)


@contextmanager
def bad_input_fails_the_task() -> Iterator[None]:
    """Turn a local validation error into a task failure without retries.

    The cause is not chained: its message is the same, and the task log would show it twice.
    """
    from airflow_provider_tunedmodels._compat import AirflowFailException

    try:
        yield
    except InvalidRequestError as error:
        raise AirflowFailException(str(error)) from None
