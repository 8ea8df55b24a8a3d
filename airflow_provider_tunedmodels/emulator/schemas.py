"""Request message schemas and a lenient proto3 JSON reader.

The reader accepts what Google's front end accepts (snake_case or camelCase
keys, enum names or numbers, numbers as strings, ``null`` for unset) and
rejects what it rejects (unknown fields, wrong types) with the front end's
``Invalid JSON payload received`` / ``Invalid value at`` messages. Parsed
messages are plain dicts keyed by camelCase names, enums as names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument
from airflow_provider_tunedmodels.emulator.wire import to_camel, to_snake

_PACKAGE = "google.ai.generativelanguage.v1beta"
_INT32_RANGE = (-(2**31), 2**31 - 1)
_INT64_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Enum:
    """A proto enum: its full name and value names in number order."""

    full_name: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """One field of a message schema."""

    kind: str  # string | int32 | int64 | float | bool | enum | message | timestamp | any
    repeated: bool = False
    message: Message | None = None
    enum: Enum | None = None


@dataclass(frozen=True)
class Message:
    """A message schema; ``open`` messages ignore unknown fields."""

    full_name: str
    fields: dict[str, Field] = field(default_factory=dict)
    open: bool = False


def _string() -> Field:
    return Field("string")


def _timestamp() -> Field:
    return Field("timestamp")


STATE = Enum(f"{_PACKAGE}.TunedModel.State", ("STATE_UNSPECIFIED", "CREATING", "ACTIVE", "FAILED"))
GRANTEE_TYPE = Enum(
    f"{_PACKAGE}.Permission.GranteeType", ("GRANTEE_TYPE_UNSPECIFIED", "USER", "GROUP", "EVERYONE")
)
ROLE = Enum(f"{_PACKAGE}.Permission.Role", ("ROLE_UNSPECIFIED", "OWNER", "WRITER", "READER"))

TUNING_EXAMPLE = Message(f"{_PACKAGE}.TuningExample", {"textInput": _string(), "output": _string()})
TUNING_EXAMPLES = Message(
    f"{_PACKAGE}.TuningExamples",
    {"examples": Field("message", repeated=True, message=TUNING_EXAMPLE)},
)
DATASET = Message(f"{_PACKAGE}.Dataset", {"examples": Field("message", message=TUNING_EXAMPLES)})
HYPERPARAMETERS = Message(
    f"{_PACKAGE}.Hyperparameters",
    {
        "learningRate": Field("float"),
        "learningRateMultiplier": Field("float"),
        "epochCount": Field("int32"),
        "batchSize": Field("int32"),
    },
)
TUNING_SNAPSHOT = Message(
    f"{_PACKAGE}.TuningSnapshot",
    {
        "step": Field("int32"),
        "epoch": Field("int32"),
        "meanLoss": Field("float"),
        "computeTime": _timestamp(),
    },
)
TUNING_TASK = Message(
    f"{_PACKAGE}.TuningTask",
    {
        "startTime": _timestamp(),
        "completeTime": _timestamp(),
        "snapshots": Field("message", repeated=True, message=TUNING_SNAPSHOT),
        "trainingData": Field("message", message=DATASET),
        "hyperparameters": Field("message", message=HYPERPARAMETERS),
    },
)
TUNED_MODEL_SOURCE = Message(
    f"{_PACKAGE}.TunedModelSource", {"tunedModel": _string(), "baseModel": _string()}
)
TUNED_MODEL = Message(
    f"{_PACKAGE}.TunedModel",
    {
        "name": _string(),
        "tunedModelSource": Field("message", message=TUNED_MODEL_SOURCE),
        "baseModel": _string(),
        "displayName": _string(),
        "description": _string(),
        "temperature": Field("float"),
        "topP": Field("float"),
        "topK": Field("int32"),
        "state": Field("enum", enum=STATE),
        "createTime": _timestamp(),
        "updateTime": _timestamp(),
        "tuningTask": Field("message", message=TUNING_TASK),
        "readerProjectNumbers": Field("int64", repeated=True),
    },
)
PERMISSION = Message(
    f"{_PACKAGE}.Permission",
    {
        "name": _string(),
        "granteeType": Field("enum", enum=GRANTEE_TYPE),
        "emailAddress": _string(),
        "role": Field("enum", enum=ROLE),
    },
)
TRANSFER_OWNERSHIP_REQUEST = Message(
    f"{_PACKAGE}.TransferOwnershipRequest", {"name": _string(), "emailAddress": _string()}
)
CANCEL_OPERATION_REQUEST = Message("google.longrunning.CancelOperationRequest", {"name": _string()})
PART = Message(
    f"{_PACKAGE}.Part",
    {"text": _string(), "inlineData": Field("any"), "fileData": Field("any")},
    open=True,
)
CONTENT = Message(
    f"{_PACKAGE}.Content",
    {"parts": Field("message", repeated=True, message=PART), "role": _string()},
)
GENERATION_CONFIG = Message(
    f"{_PACKAGE}.GenerationConfig",
    {
        "candidateCount": Field("int32"),
        "stopSequences": Field("string", repeated=True),
        "maxOutputTokens": Field("int32"),
        "temperature": Field("float"),
        "topP": Field("float"),
        "topK": Field("int32"),
        "seed": Field("int32"),
        "responseMimeType": _string(),
    },
    open=True,
)
GENERATE_CONTENT_REQUEST = Message(
    f"{_PACKAGE}.GenerateContentRequest",
    {
        "model": _string(),
        "contents": Field("message", repeated=True, message=CONTENT),
        "systemInstruction": Field("message", message=CONTENT),
        "generationConfig": Field("message", message=GENERATION_CONFIG),
        "safetySettings": Field("any"),
        "tools": Field("any"),
        "toolConfig": Field("any"),
        "cachedContent": _string(),
    },
    open=True,
)


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
            raise invalid_argument(
                f"Invalid JSON payload received. Unknown name \"{raw_key}\" at '{path}': "
                "Cannot find field."
            )
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
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError as exc:
            raise _invalid_value(path, "TYPE_FLOAT", value) from exc
        if not math.isfinite(number) and value not in ("NaN", "Infinity", "-Infinity"):
            raise _invalid_value(path, "TYPE_FLOAT", value)
        return number
    raise _invalid_value(path, "TYPE_FLOAT", value)


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
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)):
        return "[list]" if isinstance(value, list) else "{object}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _invalid_value(path: str, label: str, value: Any) -> Exception:
    return invalid_argument(f"Invalid value at '{path}' ({label}), {_render(value)}")
