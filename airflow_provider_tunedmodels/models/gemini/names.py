"""Resource names of the Gemini API, each parsed against its exact pattern before any request.

A name of the wrong kind must never reach the server: ``tunedModels/m1/permissions/p1``
given where a tuned model is expected would otherwise be sent as
``DELETE /v1beta/tunedModels/m1/permissions/p1`` and revoke a permission. Every
method and operator that takes a name goes through one parser here, which
accepts exactly one kind and, when the value is a valid name of another kind,
says so.

===================  ==============================================  =====================
kind                 full name                                       short form accepted
===================  ==============================================  =====================
tuned model          ``tunedModels/{id}``                            ``{id}``
base model           ``models/{id}``                                 ``{id}``
operation            ``tunedModels/{id}/operations/{operation}``     none
permission           ``tunedModels/{id}/permissions/{permission}``   none
===================  ==============================================  =====================

Surrounding whitespace is ignored (a rendered template often ends with a newline);
anything else that does not match is refused with an
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError` naming the
parameter as the caller spelled it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.gemini.limits import TUNED_MODEL_ID_PATTERN

__all__ = [
    "BASE_MODEL",
    "GENERATION_MODEL",
    "OPERATION",
    "PERMISSION",
    "TUNED_MODEL",
    "TUNED_MODEL_ID_RULE",
    "NameKind",
    "parse_name",
    "tuned_model_id_problem",
]

#: An id of an existing tuned model, operation or permission: lowercase letters, digits and
#: hyphens, 1-63 characters, starting and ending with a letter or digit. (Ids the server
#: generates from a display name may start with a digit and exceed the 40 characters
#: allowed for a ``tunedModelId`` the caller chooses.)
_RESOURCE_ID = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: A base model id, e.g. ``gemini-1.5-flash-001-tuning``: dots and underscores occur too.
_MODEL_ID = r"[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?"


@dataclass(frozen=True)
class NameKind:
    """One kind of resource name.

    :param label: what the kind is called in messages, e.g. ``"a tuned model"``.
    :param pattern: the full name's exact pattern.
    :param expected: how a valid value looks, for messages.
    :param short_prefix: prefix added to a bare id, or ``None`` if only full names are accepted.
    """

    label: str
    pattern: re.Pattern[str]
    expected: str
    short_prefix: str | None = None


TUNED_MODEL = NameKind(
    "a tuned model",
    re.compile(rf"tunedModels/{_RESOURCE_ID}"),
    "'tunedModels/<id>' or just the id",
    "tunedModels/",
)
BASE_MODEL = NameKind(
    "a base model", re.compile(rf"models/{_MODEL_ID}"), "'models/<id>' or just the id", "models/"
)
OPERATION = NameKind(
    "an operation",
    re.compile(rf"tunedModels/{_RESOURCE_ID}/operations/{_RESOURCE_ID}"),
    "'tunedModels/<id>/operations/<operation id>'",
)
PERMISSION = NameKind(
    "a permission",
    re.compile(rf"tunedModels/{_RESOURCE_ID}/permissions/{_RESOURCE_ID}"),
    "'tunedModels/<id>/permissions/<permission id>'",
)
#: A model to generate with: a tuned model or a base model (a bare id means a base model).
GENERATION_MODEL = NameKind(
    "a tuned model or a base model",
    re.compile(rf"(?:tunedModels/{_RESOURCE_ID}|models/{_MODEL_ID})"),
    "'tunedModels/<id>', 'models/<id>' or a base model's id",
    "models/",
)

_ALL_KINDS = (TUNED_MODEL, BASE_MODEL, OPERATION, PERMISSION)

#: The documented rule of a ``tunedModelId`` the caller chooses, for messages.
TUNED_MODEL_ID_RULE = (
    "must be 1-40 characters of lowercase letters, digits and hyphens, start with a letter "
    "and end with a letter or digit (pattern [a-z]([a-z0-9-]{0,38}[a-z0-9])?)"
)


def tuned_model_id_problem(tuned_model_id: str) -> str | None:
    """What is wrong with a new model's id, or ``None`` if it follows the documented rule."""
    if TUNED_MODEL_ID_PATTERN.fullmatch(tuned_model_id):
        return None
    return f"{tuned_model_id!r} {TUNED_MODEL_ID_RULE}"


def parse_name(value: object, kind: NameKind, *, field: str) -> str:
    """The full resource name of ``kind`` that ``value`` denotes; raise if it denotes none.

    :param value: what the caller gave (a full name, or a bare id where ``kind`` allows it).
    :param kind: the one kind of name accepted, e.g. :data:`TUNED_MODEL`.
    :param field: the parameter's name as the caller knows it (``tuned_model_name``, ``name``).
    :raises InvalidRequestError: ``value`` is not a name of that kind; the message says which
        kind it is instead, when it is a valid name of another one.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(
            field, [f"expected {kind.label} name ({kind.expected}), got {type(value).__name__}"]
        )
    name = value.strip()
    if kind.pattern.fullmatch(name):
        return name
    if kind.short_prefix is not None and "/" not in name:
        prefixed = kind.short_prefix + name
        if kind.pattern.fullmatch(prefixed):
            return prefixed
    raise InvalidRequestError(field, [_problem(name, kind)])


def _problem(name: str, kind: NameKind) -> str:
    if not name:
        return f"empty; expected {kind.label} name ({kind.expected})"
    other = next((k for k in _ALL_KINDS if k is not kind and k.pattern.fullmatch(name)), None)
    if other is not None:
        return (
            f"{name!r} is the name of {other.label}, not of {kind.label}; expected {kind.expected}"
        )
    return (
        f"{name!r} is not {kind.label} name; expected {kind.expected}, where ids are "
        "lowercase letters, digits and hyphens"
    )
