"""Hostile requests for every route of an OpenAPI description, from a seeded generator.

Schema-driven fuzzers stay close to the schema; these requests are what an
attacker sends instead: JSON nested thousands of levels deep, ``NaN`` tokens,
integers of thousands of digits, lone surrogates, invalid UTF-8, enormous
strings, odd credentials, odd query values and odd path segments. A body is
a valid request of the route (a seed given by the caller) with one value
replaced by a hostile one, or else follows the route's request schema down to
hostile leaves, so that hostile values reach the field checks and what the
emulator does with accepted values, rather than stopping at the parser.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

__all__ = ["HostileRequest", "hostile_requests"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


_DEEP_ARRAY = b"[" * 5_000 + b"]" * 5_000
_DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
_DEEP_SEGMENT = _b64(b"[" * 2_000 + b"]" * 2_000)  # short enough for a URL
_DEEP_TOKEN = f"{_DEEP_SEGMENT}.{_DEEP_SEGMENT}.c2ln"

#: Whole bodies that are not (usable) JSON messages.
RAW_BODIES: list[bytes] = [
    _DEEP_ARRAY,
    _DEEP_OBJECT,
    b'{"a": NaN}',
    b"[Infinity]",
    b'{"a": ' + b"9" * 5_000 + b"}",
    b'{"a": "\\udfff"}',
    b"\xff\xfe{}",
    b"null",
    b"[]",
    b'"text"',
    b"1e999",
    b"{",
    b'{"a": 1,,}',
    b"",
]
#: Raw JSON literals put where a field's value goes.
LEAVES: list[str] = [
    "NaN",
    "-Infinity",
    "1e400",
    "-1e39",
    "9" * 400,
    "-" + "9" * 30,
    '"NaN"',
    '"Infinity"',
    '"1e999"',
    '"\\udc00"',
    '"\\u0000"',
    json.dumps("x" * 50_000),
    json.dumps("é" * 1_000),
    "null",
    "true",
    "[]",
    "{}",
    "[[[[[[[[[[[]]]]]]]]]]]",
    "0",
    "-1",
    "2147483648",
    "-9223372036854775809",
    "0.5",
    '""',
    '"   "',
    '"tunedModels/x/permissions/y"',
]
HEADERS: list[dict[str, str]] = [
    {},
    {"authorization": f"Bearer {_DEEP_TOKEN}"},
    {"authorization": "Bearer a.b.c"},
    {"authorization": "Bearer " + "x" * 8_000},
    {"authorization": "Bearer"},
    {"authorization": "Basic Zm9vOmJhcg=="},
    {"x-goog-api-key": "k\u00e9y"},
    {"x-goog-api-key": ""},
    {"content-type": "text/plain"},
    {"content-type": "application/json; charset=latin-1"},
]
QUERY_VALUES: dict[str, list[str]] = {
    "pageSize": ["-1", "1e999", "99999999999999999999", "NaN", "", "0x10", " 5 "],
    "pageToken": [_b64(_DEEP_ARRAY), "%%%", "x" * 5_000, _b64(b'{"q":"x","t":1e999,"n":1}')],
    "updateMask": ["", ",,,", "a." * 300, "tuningTask.hyperparameters.epochCount", "role,role"],
    "alt": ["sse", "json", "xml", ""],
    "filter": ['"', "owner:", "readers:everyone " * 100, "(", "\u0000"],
    "tunedModelId": ["A", "-" * 41, "a" * 5_000, ""],
    "access_token": [_DEEP_TOKEN, "ya29.x"],
    "key": ["", "x" * 5_000],
}
PATH_SEGMENTS: list[str] = ["", "%2F", "..", "%00", "a" * 5_000, "%C3%A9", "x%3Ay", "%FF"]


@dataclass(frozen=True)
class HostileRequest:
    """One request: method, path (already percent-encoded), query, headers and body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None

    def label(self) -> str:
        """A short description for assertion messages."""
        return (
            f"{self.method} {self.path[:120]} query={list(self.query)} headers={list(self.headers)}"
        )


def hostile_requests(
    document: dict[str, Any],
    *,
    seed: int,
    per_operation: int,
    live: dict[str, str],
    api_key: str,
    seeds: dict[str, Any],
    counts: dict[str, int] | None = None,
) -> list[HostileRequest]:
    """``per_operation`` hostile requests for each operation of ``document``.

    :param live: path parameter values naming resources that exist; most requests use
        them (with ``api_key``) so that hostile values get past the lookups.
    :param seeds: valid request bodies by method id (the operation id without its
        version prefix); most bodies of those methods are a seed with one value replaced.
    :param counts: numbers of requests by method id, instead of ``per_operation``.
    """
    rng = random.Random(seed)
    schemas = document.get("components", {}).get("schemas", {})
    requests: list[HostileRequest] = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            method_id = operation["operationId"].partition(".")[2]
            body_seed = seeds.get(method_id)
            for _ in range((counts or {}).get(method_id, per_operation)):
                request = _request(rng, template, method, operation, schemas, live, api_key)
                if body_seed is not None and rng.random() < 0.7:
                    request = replace(request, body=_mutated(rng, body_seed).encode())
                requests.append(request)
    return requests


def _mutated(rng: random.Random, seed: Any) -> str:
    """``seed`` as JSON text with one value (a leaf or a whole branch) made hostile."""
    paths = list(_paths(seed, ()))
    target = rng.choice(paths)
    return _render(seed, (), target, rng.choice(LEAVES))


def _paths(value: Any, path: tuple[Any, ...]) -> Any:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _render(value: Any, path: tuple[Any, ...], target: tuple[Any, ...], leaf: str) -> str:
    if path == target:
        return leaf
    if isinstance(value, dict):
        members = (
            f"{json.dumps(key)}:{_render(item, (*path, key), target, leaf)}"
            for key, item in value.items()
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        items = (_render(item, (*path, index), target, leaf) for index, item in enumerate(value))
        return "[" + ",".join(items) + "]"
    return json.dumps(value)


def _request(
    rng: random.Random,
    template: str,
    method: str,
    operation: dict[str, Any],
    schemas: dict[str, Any],
    live: dict[str, str],
    api_key: str,
) -> HostileRequest:
    path = template
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            value = rng.choice(PATH_SEGMENTS) if rng.random() < 0.3 else live.get(name, "x")
            path = path.replace("{" + name + "}", value if "%" in value else quote(value))
    query = {
        name: rng.choice(values) for name, values in QUERY_VALUES.items() if rng.random() < 0.25
    }
    headers = dict(rng.choice(HEADERS)) if rng.random() < 0.4 else {}
    if "key" not in query and not headers.get("authorization") and rng.random() < 0.9:
        headers.setdefault("x-goog-api-key", api_key)
    return HostileRequest(method.upper(), path, query, headers, _body(rng, operation, schemas))


def _body(rng: random.Random, operation: dict[str, Any], schemas: dict[str, Any]) -> bytes | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/x-www-form-urlencoded" in content:
        assertion = rng.choice([_DEEP_TOKEN, "a.b.c", "x" * 5_000, "%%", ""])
        grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
        return f"grant_type={quote(grant)}&assertion={quote(assertion)}".encode()
    schema = content.get("application/json", {}).get("schema")
    if schema is None or rng.random() < 0.25:
        return rng.choice(RAW_BODIES)
    return _value(rng, schema, schemas, depth=0).encode()


def _value(rng: random.Random, schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> str:
    """JSON text following ``schema``, with a hostile leaf now and then."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if rng.random() < 0.3 or depth > 6 or kind not in ("object", "array"):
        if rng.random() < 0.5:
            return rng.choice(LEAVES)
        return json.dumps(_plain(rng, schema))
    if kind == "array":
        items = [_value(rng, schema.get("items", {}), schemas, depth + 1) for _ in range(2)]
        return "[" + ",".join(items) + "]"
    properties = schema.get("properties", {})
    chosen = [name for name in properties if rng.random() < 0.5]
    members = [
        f"{json.dumps(name)}:{_value(rng, properties[name], schemas, depth + 1)}" for name in chosen
    ]
    return "{" + ",".join(members) + "}"


def _plain(rng: random.Random, schema: dict[str, Any]) -> Any:
    """An ordinary value of ``schema``'s type."""
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "integer":
        return rng.choice([1, 2, 4, 10])
    if kind == "number":
        return rng.choice([0.001, 0.5, 1.0])
    if kind == "boolean":
        return rng.random() < 0.5
    if schema.get("format") == "int64":
        return str(rng.choice([1, 123456789]))
    return rng.choice(["1", "hello", "models/gemini-1.5-flash-001-tuning", "a@example.com"])
