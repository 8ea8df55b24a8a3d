"""Wire-format helpers: lenient JSON input, strict proto3 JSON output.

Input is accepted the way Google's front end accepts it: snake_case or
camelCase keys, enum names or numbers, integers as numbers or strings and
trailing commas in objects and arrays. Output follows the proto3 JSON mapping:
camelCase keys, default values omitted, int64 as strings, enums as names and
RFC 3339 timestamps in UTC with a ``Z`` suffix.

Every piece of JSON that reaches the emulator from outside (request bodies,
the segments of bearer tokens and token-endpoint assertions, page tokens) is
read by :func:`parse_json`, which refuses what could hurt the server before the
standard parser sees it: nesting deeper than :data:`MAX_JSON_DEPTH` (the
standard parser recurses once per level and would overflow the stack), the
bare ``NaN``/``Infinity`` tokens (not JSON) and strings that are not valid
Unicode (they could never be written back). Output is serialised strictly, so
an answer can never carry a bare ``NaN`` either.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument

__all__ = [
    "IGNORED_QUERY_PARAMS",
    "MAX_JSON_DEPTH",
    "JsonInputError",
    "dumps",
    "float32",
    "format_timestamp",
    "parse_field_mask",
    "parse_json",
    "parse_json_body",
    "parse_page_size",
    "query_value",
    "to_camel",
    "to_snake",
]


#: Query parameters every Google REST API accepts and the emulator ignores.
IGNORED_QUERY_PARAMS = frozenset({"$alt", "alt", "prettyPrint", "key", "fields", "$.xgafv"})
#: Deepest nesting of arrays and objects accepted in JSON input; protobuf's own
#: parsers stop at the same depth, and no request message of the APIs comes close.
MAX_JSON_DEPTH = 100

_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A ``\uD800``-``\uDFFF`` escape: half of a surrogate pair, maybe a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class JsonInputError(ValueError):
    """JSON input that cannot be read; the message says why, without echoing the input."""


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


def parse_json(data: str | bytes, *, lenient: bool = False) -> Any:
    """Read JSON from outside the emulator, refusing what could harm the server.

    :param data: the JSON text, or its UTF-8 encoding.
    :param lenient: also accept trailing commas in objects and arrays, as Google's
        front end does in request bodies.
    :raises JsonInputError: the text is not valid UTF-8 or not JSON, nests deeper
        than :data:`MAX_JSON_DEPTH`, uses ``NaN``/``Infinity`` or holds a lone
        surrogate.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError("Invalid UTF-8.") from exc
    _check_depth(data)
    try:
        value = _loads(data)
    except json.JSONDecodeError as first:
        if not lenient:
            raise _syntax_error(first) from first
        try:
            value = _loads(_strip_trailing_commas(data))
        except json.JSONDecodeError as exc:
            raise _syntax_error(exc) from exc
    if _SURROGATE_ESCAPE.search(data):
        _check_unicode(value)
    return value


def _loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except JsonInputError:
        raise
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise JsonInputError(f"Invalid number: {exc}.") from exc


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON value; send a finite number.")


def _syntax_error(exc: json.JSONDecodeError) -> JsonInputError:
    return JsonInputError(f"{exc.msg} at line {exc.lineno} column {exc.colno}.")


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH`, without recursion.

    Escaped backslashes and quotes are dropped, the text between the remaining
    quotes (the strings) too, and the brackets left are counted; everything but
    the last loop runs at the speed of ``str`` methods, so a body of megabytes
    costs milliseconds. Brackets never closed count as levels, as the standard
    parser would descend into them.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside_strings = "".join(unescaped.split('"')[::2])
    depth = 0
    for bracket in _NOT_BRACKET.sub("", outside_strings):
        if bracket in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise JsonInputError(
                    f"Arrays and objects nest deeper than {MAX_JSON_DEPTH} levels."
                )
        elif depth:
            depth -= 1


def _check_unicode(value: Any) -> None:
    """Refuse strings holding half of a surrogate pair (they are not Unicode text)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise JsonInputError(
                    "Invalid \\u escape: a lone surrogate is not a Unicode character."
                ) from exc


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Parse a request body leniently; an empty body is an empty message."""
    if not body.strip():
        return {}
    try:
        value = parse_json(body, lenient=True)
    except JsonInputError as exc:
        raise invalid_argument(f"Invalid JSON payload received. {exc}") from exc
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
    """Serialise a response body (compact, UTF-8; ``NaN`` and infinities raise ``ValueError``)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


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
