"""An OpenAPI 3 description of the emulator, generated from its route table.

``GET /_emulator/openapi.json`` serves it. Every route an API package adds to
the :class:`~airflow_provider_tunedmodels.emulator.router.Router` appears with
its path parameters, the query parameters it declared, the schema of its
request body (from the package's proto message schemas) and its credentials,
so schema-driven fuzzers and clients see a new API as soon as it is
registered. The OAuth2 token endpoint ``/token`` is described too; the control
API under ``/_emulator/`` is not, because it is not part of Google's APIs and a
client exploring it would reset the server or inject faults.

Request schemas describe the canonical proto3 JSON form (camelCase names,
int64 as strings, enum names); the emulator also accepts the lenient forms
listed in its README.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_tunedmodels.emulator.router import Route, Router
from airflow_provider_tunedmodels.emulator.schemas import FLOAT32_MAX, Field, Message

__all__ = ["OPENAPI_VERSION", "openapi_document"]

#: Version of the OpenAPI specification the description follows.
OPENAPI_VERSION = "3.0.3"

_PLACEHOLDER_SCHEMA = {"type": "string", "pattern": "^[^/:]+$"}
#: ``{name=**}`` in a route template: a parameter that takes the rest of the path.
_REST_OF_PATH = re.compile(r"\{(\w+)=\*\*\}")
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_SECURITY_SCHEMES: dict[str, Any] = {
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-goog-api-key"},
    "apiKeyQuery": {"type": "apiKey", "in": "query", "name": "key"},
    "bearer": {"type": "http", "scheme": "bearer"},
}
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
_TOKEN_PATH: dict[str, Any] = {
    "post": {
        "operationId": "token",
        "summary": "OAuth2 token endpoint (JWT-bearer grant of a service account)",
        "tags": ["token"],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "assertion"],
                        "properties": {
                            "grant_type": {
                                "type": "string",
                                "enum": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
                            },
                            "assertion": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {"description": "An access token", "content": {"application/json": {}}},
            "400": {"description": "An OAuth2 error", "content": {"application/json": {}}},
        },
    }
}


def openapi_document(router: Router, *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI description of every route of ``router``, plus ``/token``.

    :param router: the route table of a running emulator.
    :param title: the ``info.title`` of the document.
    :param version: the ``info.version`` of the document.
    """
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in router.routes():
        path = _REST_OF_PATH.sub(r"{\1}", route.template)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, schemas)
    paths["/token"] = _TOKEN_PATH
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": _SECURITY_SCHEMES},
    }


def _operation(route: Route, schemas: dict[str, Any]) -> dict[str, Any]:
    version = route.template.split("/")[1]
    operation: dict[str, Any] = {
        "operationId": f"{version}.{route.route_id}",
        "summary": route.route_id,
        "description": _description(route),
        "tags": [route.route_id.split(".")[0]],
        "parameters": _parameters(route),
        "security": _security(route),
        "responses": _responses(route),
    }
    if route.body is not None:
        schema = _message_ref(route.body, schemas)
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    return operation


def _parameters(route: Route) -> list[dict[str, Any]]:
    rest = set(_REST_OF_PATH.findall(route.template))
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1} if name in rest else _PLACEHOLDER_SCHEMA,
        }
        for name in route.pattern.groupindex
    ]
    for name in route.query:
        schema: dict[str, Any] = {"type": "string"}
        if name == "alt":
            schema = {"type": "string", "enum": ["sse", "json"]}
        elif name == "pageSize":
            schema = {"type": "integer", "format": "int32"}
        parameters.append({"name": name, "in": "query", "required": False, "schema": schema})
    return parameters


def _security(route: Route) -> list[dict[str, list[str]]]:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    if not route.access.api_keys:
        return bearer
    return [{"apiKeyHeader": []}, {"apiKeyQuery": []}, *bearer]


def _description(route: Route) -> str:
    scopes = sorted(route.access.write_scopes if route.write else route.access.read_scopes)
    credentials = "An API key or a bearer token" if route.access.api_keys else "A bearer token"
    return f"{credentials}; a token needs one of the scopes {', '.join(scopes)}."


def _responses(route: Route) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if route.streams:
        content = {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/event-stream": {"schema": {"type": "string"}},
        }
    return {
        "200": {"description": "Success", "content": content},
        "default": {
            "description": "A Google API error",
            "content": {"application/json": {"schema": _ERROR_REF}},
        },
    }


def _message_ref(message: Message, schemas: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref`` to ``message``'s schema, adding it (and those it uses) to ``schemas``."""
    ref = {"$ref": f"#/components/schemas/{message.full_name}"}
    if message.full_name in schemas:
        return ref
    schemas[message.full_name] = {}  # reserved first: messages may refer to themselves
    properties = {name: _field_schema(spec, schemas) for name, spec in message.fields.items()}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if message.required:
        schema["required"] = list(message.required)
    schema["additionalProperties"] = message.open
    schemas[message.full_name] = schema
    return ref


def _field_schema(spec: Field, schemas: dict[str, Any]) -> dict[str, Any]:
    if spec.repeated:
        single = Field(spec.kind, message=spec.message, enum=spec.enum)
        return {"type": "array", "items": _field_schema(single, schemas)}
    if spec.kind == "message" and spec.message is not None:
        return _message_ref(spec.message, schemas)
    if spec.kind == "enum" and spec.enum is not None:
        return {"type": "string", "enum": list(spec.enum.names)}
    return dict(_SCALAR_SCHEMAS.get(spec.kind, {}))


_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "timestamp": {"type": "string", "format": "date-time"},
    "int32": {
        "type": "integer",
        "format": "int32",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    },
    "int64": {"type": "string", "format": "int64", "pattern": "^-?[0-9]{1,19}$"},
    "float": {
        "type": "number",
        "format": "float",
        "minimum": -FLOAT32_MAX,
        "maximum": FLOAT32_MAX,
    },
    "bool": {"type": "boolean"},
    "any": {},
}
