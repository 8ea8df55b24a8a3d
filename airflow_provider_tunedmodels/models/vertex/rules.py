"""Field-level rules shared by the Vertex AI request checks.

Each ``*_problems`` function returns a list of readable problems (empty if the
value is fine) naming the field by its wire path, e.g.
``supervisedTuningSpec.hyperParameters.epochCount: 0 must be at least 1``;
:mod:`~airflow_provider_tunedmodels.models.vertex.validation` gathers them into
one error per request.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models._wire import WireModel
from airflow_provider_tunedmodels.models.vertex import limits

__all__ = [
    "coerce_message",
    "count_problems",
    "display_name_problems",
    "join_path",
    "label_problems",
    "name_problems",
    "non_finite_problems",
    "unknown_field_problems",
    "uri_problems",
]

M = TypeVar("M", bound=WireModel)


def coerce_message(model: type[M], value: M | Mapping[str, Any], what: str) -> M:
    """Parse ``value`` into ``model``; wrong types become one :class:`InvalidRequestError`."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(dict(value))
    except ValidationError as exc:
        problems = [f"{_loc_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise InvalidRequestError(what, problems) from None
    except (TypeError, ValueError):
        raise InvalidRequestError(
            what, [f"expected a mapping, got {type(value).__name__}"]
        ) from None


def label_problems(labels: Mapping[str, str], where: str = "labels") -> list[str]:
    """Every way ``labels`` breaks Google Cloud's label rules.

    Keys: 1-64 codepoints, starting with a lowercase letter; keys and values: at most
    64 codepoints of lowercase letters, digits, ``_`` and ``-`` (letters of any
    script count, as long as they are not upper case); at most 64 labels.
    """
    problems: list[str] = []
    if len(labels) > limits.MAX_LABELS:
        problems.append(f"{where}: {len(labels)} labels; at most {limits.MAX_LABELS} are allowed")
    for key, value in labels.items():
        if not key:
            problems.append(
                f"{where}: a key is empty; keys need 1-{limits.MAX_LABEL_LENGTH} characters"
            )
            continue
        if not _is_lowercase_letter(key[0]):
            problems.append(f"{where} key {key!r}: must start with a lowercase letter")
        problems += _label_text_problems(f"{where} key {key!r}", key)
        problems += _label_text_problems(f"{where}[{key!r}] value {value!r}", value)
    return problems


def unknown_field_problems(model: WireModel, path: str = "") -> list[str]:
    """Fields the API does not define, anywhere in ``model`` (plain-JSON fields excepted)."""
    known = {field.alias or name for name, field in type(model).model_fields.items()}
    problems = []
    for key in model.model_extra or {}:
        wire = to_camel(key)
        guess = difflib.get_close_matches(wire, sorted(known), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        problems.append(f"{join_path(path, wire)}: unknown field, the API would refuse it{hint}")
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        where = join_path(path, field.alias or name)
        if isinstance(value, WireModel):
            problems += unknown_field_problems(value, where)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, WireModel):
                    problems += unknown_field_problems(item, f"{where}[{index}]")
    return problems


def non_finite_problems(value: Any, path: str) -> list[str]:
    """Every NaN or infinity in ``value`` (a dumped request, plain-JSON parts included)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a finite number; JSON cannot carry NaN or Infinity"]
    if isinstance(value, Mapping):
        return [
            p for k, v in value.items() for p in non_finite_problems(v, join_path(path, str(k)))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite_problems(v, f"{path}[{i}]")]
    return []


def display_name_problems(where: str, name: str | None) -> list[str]:
    """A display name longer than Vertex AI allows (counted in characters, not bytes)."""
    if name is None or len(name) <= limits.MAX_DISPLAY_NAME_LENGTH:
        return []
    return [f"{where}: {len(name)} characters; the limit is {limits.MAX_DISPLAY_NAME_LENGTH}"]


def uri_problems(
    where: str,
    uri: object,
    *,
    required: bool = False,
    vertex_dataset: bool = False,
    folder: bool = False,
) -> list[str]:
    """Check a Cloud Storage URI: an object (a JSONL file), or with ``folder`` a directory.

    :param vertex_dataset: also accept a Vertex AI dataset name (supervised tuning does).
    """
    if uri is None or uri == "":
        return [f"{where}: required"] if required else []
    text = str(uri)
    if folder and limits.GCS_PREFIX_URI.fullmatch(text):
        return []
    if not folder and limits.GCS_OBJECT_URI.fullmatch(text):
        return []
    if vertex_dataset and limits.VERTEX_DATASET_NAME.fullmatch(text):
        return []
    expected = "gs://{bucket}/{folder}/" if folder else "gs://{bucket}/{object}.jsonl"
    if vertex_dataset:
        expected += " or projects/{project}/locations/{location}/datasets/{dataset}"
    return [f"{where} {text!r}: expected {expected}"]


def count_problems(where: str, count: int | None) -> list[str]:
    """A count such as ``epochCount``: at least 1, and small enough for an int64."""
    if count is None:
        return []
    if count < 1:
        return [f"{where}: {count} must be at least 1"]
    if count > limits.MAX_INT64:
        return [f"{where}: {count} does not fit in an int64 (at most {limits.MAX_INT64})"]
    return []


def name_problems(where: str, name: str, parse: Callable[[str], object]) -> list[str]:
    """Problems ``parse`` (one of the :mod:`.names` parsers) finds in ``name``, under ``where``."""
    try:
        parse(name)
    except InvalidRequestError as exc:
        return [f"{where}: {problem}" for problem in exc.problems]
    return []


def _is_lowercase_letter(char: str) -> bool:
    return char.isalpha() and not (char.isupper() or char.istitle())


def _label_text_problems(where: str, text: str) -> list[str]:
    problems = []
    if len(text) > limits.MAX_LABEL_LENGTH:
        problems.append(f"{where}: {len(text)} characters; the limit is {limits.MAX_LABEL_LENGTH}")
    bad = sorted({c for c in text if not (c in "_-" or c.isdecimal() or _is_lowercase_letter(c))})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        problems.append(f"{where}: {shown} not allowed; use lowercase letters, digits, '_' and '-'")
    return problems


def join_path(path: str, key: str) -> str:
    """``path.key``, or ``key`` at the top level."""
    return f"{path}.{key}" if path else key


def _loc_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else join_path(path, to_camel(str(part)))
    return path or "(the request)"
