"""Wire-format helpers: lenient JSON input, strict proto3 JSON output.

Input is accepted the way Google's front end accepts it: snake_case or
camelCase keys, enum names or numbers, integers as numbers or strings and
trailing commas in objects and arrays. Output follows the proto3 JSON mapping:
camelCase keys, default values omitted, int64 as strings, enums as names and
RFC 3339 timestamps in UTC with a ``Z`` suffix.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument

__all__ = [
    "IGNORED_QUERY_PARAMS",
    "dumps",
    "float32",
    "format_timestamp",
    "parse_field_mask",
    "parse_json_body",
    "parse_page_size",
    "query_value",
    "to_camel",
    "to_snake",
]


#: Query parameters every Google REST API accepts and the emulator ignores.
IGNORED_QUERY_PARAMS = frozenset({"$alt", "alt", "prettyPrint", "key", "fields", "$.xgafv"})


def to_camel(name: str) -> str:
    """``text_input`` -> ``textInput``; camelCase names are returned unchanged."""
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_snake(name: str) -> str:
    """``textInput`` -> ``text_input``; snake_case names are returned unchanged."""
    out: list[str] = []
    for char in name:
        if char.isupper():
            out.append("_")
            out.append(char.lower())
        else:
            out.append(char)
    return "".join(out)


def _strip_trailing_commas(text: str) -> str:
    """Remove commas that directly precede ``}`` or ``]`` outside strings."""
    out: list[str] = []
    in_string = False
    escaped = False
    length = len(text)
    for index, char in enumerate(text):
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == ",":
            ahead = index + 1
            while ahead < length and text[ahead] in " \t\r\n":
                ahead += 1
            if ahead < length and text[ahead] in "}]":
                continue
        out.append(char)
    return "".join(out)


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Parse a request body leniently; an empty body is an empty message."""
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid_argument("Invalid JSON payload received. Invalid UTF-8.") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = json.loads(_strip_trailing_commas(text))
        except json.JSONDecodeError as exc:
            raise invalid_argument(
                f"Invalid JSON payload received. {exc.msg} at line {exc.lineno} column {exc.colno}."
            ) from exc
    if not isinstance(value, dict):
        raise invalid_argument(
            'Invalid JSON payload received. Unknown name "": Root element must be a message.'
        )
    return value


def format_timestamp(seconds: float) -> str:
    """RFC 3339 UTC timestamp with 0, 3 or 6 fractional digits, as protobuf prints it."""
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def float32(value: float) -> float:
    """The shortest decimal that round-trips ``value`` as a 32-bit float."""
    if not math.isfinite(value):
        return value
    packed = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(6, 10):
        candidate = float(f"{packed:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == packed:
            return candidate
    return float(packed)


def dumps(value: Any) -> bytes:
    """Serialise a response body (compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def query_value(query: Mapping[str, str], name: str) -> str | None:
    """A query parameter given in camelCase or snake_case."""
    value = query.get(name)
    if value is None:
        value = query.get(to_snake(name))
    return value


def parse_page_size(raw: str | None, *, default: int, maximum: int) -> int:
    """``pageSize``: unset or 0 means the default, larger values are capped."""
    if raw is None or raw == "":
        return default
    try:
        size = int(raw)
    except ValueError as exc:
        raise invalid_argument(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"") from exc
    if size < 0:
        raise invalid_argument("page_size must not be negative.")
    if size == 0:
        return default
    return min(size, maximum)


def parse_field_mask(raw: str | None) -> list[str] | None:
    """``updateMask`` as a list of snake_case paths; ``None`` when absent."""
    if raw is None:
        return None
    paths = [path.strip() for path in raw.split(",") if path.strip()]
    return [".".join(to_snake(part) for part in path.split(".")) for path in paths]
