"""Message schemas, a lenient proto3 JSON reader and a strict proto3 JSON writer.

The reader accepts what Google's front end accepts (snake_case or camelCase
keys, enum names or numbers, numbers as strings, ``null`` for unset) and
rejects what it rejects (unknown fields, wrong types) with the front end's
``Invalid JSON payload received`` / ``Invalid value at`` messages. Parsed
messages are plain dicts keyed by camelCase names, enums as names.

The writer (:func:`render_message`) turns such a dict back into proto3 JSON:
default values omitted, int64 as strings, enums as names (or numbers, when the
caller asked for ``enum-encoding=int``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError, invalid_argument
from airflow_provider_tunedmodels.emulator.wire import to_camel, to_snake

__all__ = [
    "FLOAT32_MAX",
    "Enum",
    "Field",
    "GenerationSchemas",
    "Message",
    "generation_schemas",
    "parse_message",
    "string",
    "timestamp",
]


#: ``@type`` of the ``google.rpc.BadRequest`` error detail.
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
_INT32_RANGE = (-(2**31), 2**31 - 1)
_INT64_RANGE = (-(2**63), 2**63 - 1)
#: Largest finite value of a 32-bit float (``TYPE_FLOAT``).
FLOAT32_MAX = 3.4028234663852886e38
# Integers above this do not fit a double; they are out of every float range anyway.
_MAX_EXACT_FLOAT = 2**1023


@dataclass(frozen=True)
class Enum:
    """A proto enum: its full name and value names in number order."""

    full_name: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """One field of a message schema."""

    kind: str  # string | int32 | int64 | float | bool | enum | message | timestamp | map | any
    repeated: bool = False
    message: Message | None = None
    enum: Enum | None = None


@dataclass(frozen=True)
class Message:
    """A message schema; ``open`` messages ignore unknown fields.

    ``required`` names the fields the API documents as ``REQUIRED``; the
    OpenAPI description publishes them, while handlers check them with the
    API's own messages (the reader does not).
    """

    full_name: str
    fields: dict[str, Field] = field(default_factory=dict)
    open: bool = False
    required: tuple[str, ...] = ()


def string() -> Field:
    """A ``string`` field."""
    return Field("string")


def timestamp() -> Field:
    """A ``google.protobuf.Timestamp`` field (an RFC 3339 string)."""
    return Field("timestamp")


@dataclass(frozen=True)
class GenerationSchemas:
    """The ``generateContent`` request of one API, and the messages it holds."""

    content: Message
    generation_config: Message
    request: Message


def generation_schemas(
    package: str,
    part: Message,
    *,
    top_k: str,
    request_extra: Mapping[str, Field] | None = None,
    request_open: bool = False,
    request_required: tuple[str, ...] = (),
) -> GenerationSchemas:
    """``Content``, ``GenerationConfig`` and ``GenerateContentRequest`` of ``package``.

    Both APIs declare the same fields; they differ in ``Part`` (given), in the type of
    ``topK`` (``int32`` on the Gemini API, ``float`` on Vertex AI), in the request's
    further fields (``request_extra``) and in whether it ignores unknown fields.
    """
    content = Message(
        f"{package}.Content",
        {"role": string(), "parts": Field("message", repeated=True, message=part)},
    )
    config = Message(
        f"{package}.GenerationConfig",
        {
            "candidateCount": Field("int32"),
            "stopSequences": Field("string", repeated=True),
            "maxOutputTokens": Field("int32"),
            "temperature": Field("float"),
            "topP": Field("float"),
            "topK": Field(top_k),
            "seed": Field("int32"),
            "responseMimeType": string(),
        },
        open=True,
    )
    request = Message(
        f"{package}.GenerateContentRequest",
        {
            "model": string(),
            "contents": Field("message", repeated=True, message=content),
            "systemInstruction": Field("message", message=content),
            "generationConfig": Field("message", message=config),
            "safetySettings": Field("any"),
            "tools": Field("any"),
            "toolConfig": Field("any"),
            **(request_extra or {}),
            "cachedContent": string(),
        },
        open=request_open,
        required=request_required,
    )
    return GenerationSchemas(content, config, request)


def parse_message(schema: Message, value: Any, path: str) -> dict[str, Any]:
    """Read a JSON object as ``schema``; ``path`` is the snake_case field path for errors."""
    if not isinstance(value, dict):
        raise _invalid_value(path, f"TYPE_MESSAGE ({schema.full_name})", value)
    result: dict[str, Any] = {}
    for raw_key, raw_value in value.items():
        key = to_camel(raw_key)
        spec = schema.fields.get(key)
        if spec is None:
            if schema.open:
                continue
            raise _unknown_name(raw_key, path)
        if raw_value is None:
            continue
        field_path = f"{path}.{to_snake(key)}" if path else to_snake(key)
        result[key] = _parse_field(spec, raw_value, field_path)
    return result


def _parse_field(spec: Field, value: Any, path: str) -> Any:
    if not spec.repeated:
        return _parse_scalar(spec, value, path)
    if not isinstance(value, list):
        raise _invalid_value(path, _type_label(spec), value)
    return [_parse_scalar(spec, item, f"{path}[{index}]") for index, item in enumerate(value)]


def _parse_scalar(spec: Field, value: Any, path: str) -> Any:
    kind = spec.kind
    if kind == "any":
        return value
    if kind == "map":
        return _parse_string_map(value, path)
    if kind == "message" and spec.message is not None:
        return parse_message(spec.message, value, path)
    if kind in ("string", "timestamp"):
        if not isinstance(value, str):
            raise _invalid_value(path, _type_label(spec), value)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _invalid_value(path, "TYPE_BOOL", value)
        return value
    if kind in ("int32", "int64"):
        return _parse_int(value, path, kind)
    if kind == "float":
        return _parse_float(value, path)
    if spec.enum is None:
        raise ValueError(f"schema field at {path} has no enum")
    return _parse_enum(spec.enum, value, path)


def _parse_string_map(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _invalid_value(path, "TYPE_MESSAGE (map<string, string>)", value)
    for key, item in value.items():
        if not isinstance(item, str):
            raise _invalid_value(f"{path}[{key}]", "TYPE_STRING", item)
    return dict(value)


def _parse_int(value: Any, path: str, kind: str) -> int:
    label = "TYPE_INT32" if kind == "int32" else "TYPE_INT64"
    low, high = _INT32_RANGE if kind == "int32" else _INT64_RANGE
    number: int
    if isinstance(value, bool):
        raise _invalid_value(path, label, value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError as exc:
            raise _invalid_value(path, label, value) from exc
    else:
        raise _invalid_value(path, label, value)
    if not low <= number <= high:
        raise _invalid_value(path, label, value)
    return number


def _parse_float(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise _invalid_value(path, "TYPE_FLOAT", value)
    if isinstance(value, (int, float)):
        number = float(value) if abs(value) <= _MAX_EXACT_FLOAT else math.inf
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError as exc:
            raise _invalid_value(path, "TYPE_FLOAT", value) from exc
    else:
        raise _invalid_value(path, "TYPE_FLOAT", value)
    if not abs(number) <= FLOAT32_MAX:  # also false for NaN
        raise invalid_argument(
            f"Invalid value at '{path}' (TYPE_FLOAT), {_render(value)}: {path} must be a "
            f"finite number within the range of a 32-bit float (at most {FLOAT32_MAX:.7g} "
            "in magnitude)."
        )
    return number


def _parse_enum(enum: Enum, value: Any, path: str) -> str:
    if isinstance(value, str) and value in enum.names:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(enum.names):
        return enum.names[value]
    raise _invalid_value(path, f"type.googleapis.com/{enum.full_name}", value)


def _type_label(spec: Field) -> str:
    labels = {
        "string": "TYPE_STRING",
        "timestamp": "type.googleapis.com/google.protobuf.Timestamp",
        "int32": "TYPE_INT32",
        "int64": "TYPE_INT64",
        "float": "TYPE_FLOAT",
        "bool": "TYPE_BOOL",
    }
    if spec.kind == "enum" and spec.enum is not None:
        return f"type.googleapis.com/{spec.enum.full_name}"
    if spec.kind == "message" and spec.message is not None:
        return f"TYPE_MESSAGE ({spec.message.full_name})"
    return labels.get(spec.kind, "TYPE_UNKNOWN")


def _render(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)):
        return "[list]" if isinstance(value, list) else "{object}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _unknown_name(raw_key: str, path: str) -> ApiError:
    message = (
        f"Invalid JSON payload received. Unknown name \"{raw_key}\" at '{path}': Cannot find field."
    )
    violation = {"field": path, "description": message} if path else {"description": message}
    return invalid_argument(
        message, details=[{"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}]
    )


def _invalid_value(path: str, label: str, value: Any) -> Exception:
    return invalid_argument(f"Invalid value at '{path}' ({label}), {_render(value)}")


def render_message(
    schema: Message,
    value: dict[str, Any],
    *,
    enum_numbers: bool = False,
    keep_unknown: bool = True,
) -> dict[str, Any]:
    """``value`` (as :func:`parse_message` reads it) as proto3 JSON.

    Default values (empty strings, zeros, ``False``, empty lists and maps, the
    zero enum value) are omitted, int64 values become strings and enums stay
    names unless ``enum_numbers``. Keys the schema does not know are kept as
    they are, or dropped without ``keep_unknown`` (fields only another API
    version has).
    """
    out: dict[str, Any] = {}
    for key, item in value.items():
        spec = schema.fields.get(key)
        if spec is None and not keep_unknown:
            continue
        rendered = item if spec is None else _render_field(spec, item, enum_numbers, keep_unknown)
        if not _is_default(rendered):
            out[key] = rendered
    return out


def _render_field(spec: Field, value: Any, enum_numbers: bool, keep_unknown: bool) -> Any:
    if spec.repeated and isinstance(value, list):
        return [_render_scalar(spec, item, enum_numbers, keep_unknown) for item in value]
    return _render_scalar(spec, value, enum_numbers, keep_unknown)


def _render_scalar(spec: Field, value: Any, enum_numbers: bool, keep_unknown: bool) -> Any:
    if spec.kind == "message" and spec.message is not None and isinstance(value, dict):
        return render_message(
            spec.message, value, enum_numbers=enum_numbers, keep_unknown=keep_unknown
        )
    if spec.kind == "int64" and isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value else None
    if spec.kind == "enum" and spec.enum is not None and isinstance(value, str):
        if value not in spec.enum.names or value == spec.enum.names[0]:
            return None if value == spec.enum.names[0] else value
        return spec.enum.names.index(value) if enum_numbers else value
    return value


def _is_default(value: Any) -> bool:
    return value is None or value is False or value == 0 or value in ("", [], {})
