"""The route table every API package fills, and how a route admits its callers.

An API package (``emulator/gemini``, ``emulator/vertex``...) has a
``register(router, context)`` function that adds its routes with
:meth:`Router.add`; the application knows no API, it asks each package listed
in :mod:`airflow_provider_tunedmodels.emulator.apis` to register itself. A route
is an HTTP method, a path template such as
``/v1/projects/{project}/locations/{location}/tuningJobs/{job}:cancel`` (each
``{name}`` matches one path segment without ``/`` or ``:``; ``{name=**}`` matches
the rest of the path, slashes included, e.g. an object name), a method id (the
discovery id, which fault rules select), a handler and an :class:`Access`
policy. Routes are tried in the order they were added, so hot routes go first.

A route may also say which query parameters it reads, the schema of its
request body and whether it streams; the emulator's OpenAPI description
(:mod:`airflow_provider_tunedmodels.emulator.openapi`) is generated from the
table, so a package's routes appear there as soon as they are added.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from airflow_provider_tunedmodels.emulator.auth import (
    READ_SCOPES,
    WRITE_SCOPES,
    Authenticator,
    Identity,
    has_bearer_token,
)
from airflow_provider_tunedmodels.emulator.errors import ApiError, error_info, invalid_argument
from airflow_provider_tunedmodels.emulator.responses import Reply
from airflow_provider_tunedmodels.emulator.schemas import Message
from airflow_provider_tunedmodels.emulator.wire import parse_json_body

__all__ = [
    "API_KEY_OR_TOKEN",
    "Access",
    "Call",
    "Handler",
    "Route",
    "Router",
    "compile_template",
]

_MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_API_KEY_REFUSED = (
    "API keys are not supported by this API. Expected OAuth2 access token or other "
    "authentication credentials that assert a principal. See "
    "https://cloud.google.com/docs/authentication"
)
_INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."


@dataclass(frozen=True)
class Access:
    """Who may call a route: API keys or not, and the OAuth scopes that suffice.

    :param write_scopes: scopes any of which allows a method that changes state.
    :param read_scopes: scopes any of which allows a read-only method.
    :param api_keys: whether an API key alone identifies the caller; when not,
        callers without a bearer token get ``401 UNAUTHENTICATED``.
    :param service: the service named in the ``ErrorInfo`` of refusals.
    """

    write_scopes: frozenset[str]
    read_scopes: frozenset[str]
    api_keys: bool = True
    service: str = "generativelanguage.googleapis.com"

    def authorize(
        self,
        auth: Authenticator,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        *,
        write: bool,
    ) -> Identity:
        """The caller, or the error the real front end answers."""
        if not self.api_keys and not has_bearer_token(headers, query):
            api_key_given = bool(headers.get("x-goog-api-key") or query.get("key"))
            raise ApiError(
                "UNAUTHENTICATED",
                _API_KEY_REFUSED if api_key_given else _MISSING_CREDENTIALS,
                details=[error_info("CREDENTIALS_MISSING", service=self.service)],
                headers={"www-authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        identity = auth.identify(headers, query)
        allowed = self.write_scopes if write else self.read_scopes
        if identity.scopes is not None and not identity.scopes & allowed:
            raise ApiError(
                "PERMISSION_DENIED",
                _INSUFFICIENT_SCOPES,
                details=[error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", service=self.service)],
            )
        return identity


#: API key or OAuth token with a Gemini API scope (the Gemini API's policy).
API_KEY_OR_TOKEN = Access(WRITE_SCOPES, READ_SCOPES)


#: The largest request body a JSON route reads (uploads stream to disk instead): a client can
#: never make the server hold more than this in memory for one request.
MAX_BODY_BYTES = 32 * 1024 * 1024


async def read_body(
    request: Request, *, too_large: Callable[[str], ApiError] = invalid_argument
) -> bytes:
    """The request body, refused with ``too_large`` beyond :data:`MAX_BODY_BYTES`.

    The message is the one Google's front end gives an oversized payload. A body that says
    it is too long is refused before any of it is read.
    """
    message = f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large(message)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large(message)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Call:
    """One routed request: the request, the path parameters, the query and the caller."""

    request: Request
    params: dict[str, str]
    query: dict[str, str]
    identity: Identity

    async def body(self, *, too_large: Callable[[str], ApiError] = invalid_argument) -> bytes:
        """The request body (see :func:`read_body`)."""
        return await read_body(self.request, too_large=too_large)

    async def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, read leniently (see :func:`parse_json_body`)."""
        return parse_json_body(await self.body())

    @property
    def api_version(self) -> str:
        """The first path segment (``v1``, ``v1beta``, ``v1beta1``, ``ui``...)."""
        return self.request.url.path.split("/", 2)[1]


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """A route: method, path template and pattern, method id, handler, access policy.

    ``query``, ``body`` and ``streams`` describe the route in the OpenAPI
    description; the router itself does not use them.
    """

    method: str
    template: str
    pattern: re.Pattern[str]
    route_id: str
    handler: Handler
    write: bool = False
    access: Access = API_KEY_OR_TOKEN
    query: tuple[str, ...] = ()
    body: Message | None = None
    streams: bool = False


_PLACEHOLDER = re.compile(r"\{(\w+)(=\*\*)?\}")


def compile_template(template: str) -> re.Pattern[str]:
    """``/v1beta/tunedModels/{model}:generateContent`` -> an anchored regular expression."""
    parts: list[str] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : placeholder.start()]))
        segment = ".+" if placeholder.group(2) else "[^/:]+"
        parts.append(f"(?P<{placeholder.group(1)}>{segment})")
        position = placeholder.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$")


class Router:
    """Routes by HTTP method, matched in the order they were added."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Route]] = {}

    def add(
        self,
        method: str,
        template: str,
        route_id: str,
        handler: Handler,
        *,
        write: bool = False,
        access: Access = API_KEY_OR_TOKEN,
        query: Sequence[str] = (),
        body: Message | None = None,
        streams: bool = False,
    ) -> None:
        """Serve ``method template`` with ``handler``.

        :param method: the HTTP method, e.g. ``"GET"``.
        :param template: the path, with ``{name}`` for each variable segment
            (``{name=**}``: the rest of the path, slashes included).
        :param route_id: the discovery method id; fault rules select routes by it.
        :param handler: an async function of a :class:`Call` answering a :class:`Reply`.
        :param write: whether the method changes state (it then needs a write scope).
        :param access: how callers authenticate (default: API key or Gemini API token).
        :param query: the query parameters the handler reads (camelCase), for the description.
        :param body: the schema of the request body, if the method takes one.
        :param streams: whether the answer is a stream (``alt=sse`` or a JSON array).
        """
        route = Route(
            method=method,
            template=template,
            pattern=compile_template(template),
            route_id=route_id,
            handler=handler,
            write=write,
            access=access,
            query=tuple(query),
            body=body,
            streams=streams,
        )
        self._routes.setdefault(method, []).append(route)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route matching ``method path`` and its path parameters."""
        for route in self._routes.get(method, ()):
            found = route.pattern.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    def routes(self) -> list[Route]:
        """Every route, in registration order within each HTTP method."""
        return [route for routes in self._routes.values() for route in routes]

    def route_ids(self) -> list[str]:
        """Every method id served, in registration order (each once)."""
        seen: dict[str, None] = {}
        for routes in self._routes.values():
            for route in routes:
                seen.setdefault(route.route_id, None)
        return list(seen)
