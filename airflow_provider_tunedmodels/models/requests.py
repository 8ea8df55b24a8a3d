"""Turn what a caller passes as a request body into a wire model, or say what to fix.

Answers from the server are read leniently (unknown fields kept, any number
accepted). A request the caller builds is held to the API's schema instead,
because everything wrong with it is knowable before it is sent:

* ``None`` or a value of the wrong type where a body is expected;
* a key that is no field of the message (``displayname``), with the closest field named;
* a value of the wrong type (pydantic's complaint, with the field's path);
* an integer outside its int32 or int64 range, a float that is NaN, infinite or beyond
  the range of the API's 32-bit floats.

Every problem is listed at once, in the caller's spelling of the field.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models._wire import INT64_MARKER, WireModel
from airflow_provider_tunedmodels.models.problems import (
    Problem,
    Spelling,
    raise_problems,
    spelling_of,
    wire_key,
)

__all__ = ["number_problems", "parse_request", "unknown_field_problems"]

M = TypeVar("M", bound=WireModel)

INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)
#: Largest finite value of the API's ``float`` (IEEE 754 single precision).
FLOAT32_MAX = 3.4028234663852886e38


def parse_request(
    model: type[M], value: object, *, field: str, known_fields_only: bool = True
) -> tuple[M, Spelling]:
    """``value`` (a model or a mapping of its fields) as ``model``, and how its keys were spelled.

    :param field: the parameter's name as the caller knows it, for messages.
    :param known_fields_only: refuse keys ``model`` has no field for. Off for messages
        modelled only in part (generation), whose other fields pass through untouched.
    :raises InvalidRequestError: every problem with ``value``.
    """
    if isinstance(value, model):
        raise_problems(number_problems(value), field)
        return value, {}
    if not isinstance(value, Mapping):
        shown = "None" if value is None else type(value).__name__
        raise InvalidRequestError(
            field, [f"expected a {model.__name__} or a mapping of its fields, got {shown}"]
        )
    spelling = spelling_of(value)
    if known_fields_only:
        raise_problems(unknown_field_problems(value, model), field)
    try:
        parsed = model.model_validate(dict(value))
    except ValidationError as exc:
        raise_problems(_validation_problems(exc), field, spelling)
        raise
    raise_problems(number_problems(parsed), field, spelling)
    return parsed, spelling


def unknown_field_problems(raw: Mapping[Any, Any], model: type[BaseModel]) -> list[Problem]:
    """Every key of ``raw`` (nested messages included) that ``model`` has no field for.

    Paths and keys are reported as the caller wrote them.
    """
    return list(_unknown_fields(raw, model, ""))


def _unknown_fields(
    raw: Mapping[Any, Any], model: type[BaseModel], written: str
) -> typing.Iterator[Problem]:
    known = _field_names(model)
    for key, value in raw.items():
        path = f"{written}.{key}" if written else str(key)
        name = known.get(wire_key(str(key)))
        if name is None:
            yield Problem(path, _unknown_text(str(key), model, known))
            continue
        nested = _nested_model(model.model_fields[name].annotation)
        if nested is None:
            continue
        if isinstance(value, Mapping):
            yield from _unknown_fields(value, nested, path)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _unknown_fields(item, nested, f"{path}[{index}]")


def _unknown_text(key: str, model: type[BaseModel], known: Mapping[str, str]) -> str:
    guesses = difflib.get_close_matches(wire_key(key), list(known), n=1, cutoff=0.6)
    guesses = guesses or [
        wire for wire in known if wire.lower() == wire_key(key).replace("_", "").lower()
    ]
    hint = f"; did you mean {guesses[0]!r}?" if guesses else f"; its fields are {', '.join(known)}"
    return f"not a field of {model.__name__}{hint}"


def _field_names(model: type[BaseModel]) -> dict[str, str]:
    """Wire name to Python name of every field of ``model``."""
    return {(info.alias or wire_key(name)): name for name, info in model.model_fields.items()}


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The message type inside ``X | None`` or ``list[X] | None``, if ``X`` is a message."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
    return None


def _validation_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        path = ""
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{wire_key(str(part))}" if path else wire_key(str(part))
        problems.append(Problem(path, str(error["msg"])))
    return problems


def number_problems(message: BaseModel, path: str = "") -> list[Problem]:
    """Every number in ``message`` that the API cannot take: out of range, NaN or infinite."""
    problems: list[Problem] = []
    for name, info in type(message).model_fields.items():
        value = getattr(message, name)
        if value is None:
            continue
        wire = info.alias or wire_key(name)
        where = f"{path}.{wire}" if path else wire
        wide = INT64_MARKER in _metadata(info.annotation) or INT64_MARKER in info.metadata
        problems += _value_problems(value, where, wide)
    return problems


def _value_problems(value: Any, where: str, wide: bool) -> list[Problem]:
    if isinstance(value, BaseModel):
        return number_problems(value, where)
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in _value_problems(item, f"{where}[{i}]", wide)
        ]
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        low, high = INT64_RANGE if wide else INT32_RANGE
        if not low <= value <= high:
            kind = "int64" if wide else "int32"
            return [Problem(where, f"{value} is outside the {kind} range [{low}, {high}]")]
    if isinstance(value, float) and (not math.isfinite(value) or abs(value) > FLOAT32_MAX):
        return [Problem(where, f"{value} is not a finite number the API can take; give a number")]
    return []


def _metadata(annotation: Any) -> list[Any]:
    """Every ``Annotated`` metadata item anywhere inside ``annotation``."""
    found: list[Any] = list(getattr(annotation, "__metadata__", ()))
    for argument in typing.get_args(annotation):
        if argument is not annotation:
            found += _metadata(argument)
    return found
