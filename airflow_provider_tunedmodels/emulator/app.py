"""The emulator's ASGI application: routing, authentication, faults, responses.

Routing is a small table of regular expressions per HTTP method (one match per
request), requests are read with Starlette's :class:`~starlette.requests.Request`,
and responses are written straight to the ASGI ``send`` channel, which keeps
``tunedModels.get`` cheap enough for thousands of calls per second.

Route ids are the discovery method ids (``tunedModels.get``,
``tunedModels.permissions.create``, ...); fault rules select routes by them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from airflow_provider_tunedmodels.emulator import admin, catalog, gcs, limits
from airflow_provider_tunedmodels.emulator.auth import Authenticator, Identity, OAuthError
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.errors import ApiError, not_found
from airflow_provider_tunedmodels.emulator.faults import FaultInjector
from airflow_provider_tunedmodels.emulator.generation import (
    Generation,
    Generator,
    response_json,
    stream_json,
)
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.operations import Operations
from airflow_provider_tunedmodels.emulator.permissions import Permissions
from airflow_provider_tunedmodels.emulator.responses import (
    SSE_TYPE,
    ASGISend,
    Reply,
    drop_connection,
    error_reply,
    json_reply,
    send_reply,
)
from airflow_provider_tunedmodels.emulator.store import Store
from airflow_provider_tunedmodels.emulator.tuned_models import TunedModels
from airflow_provider_tunedmodels.emulator.wire import (
    dumps,
    parse_field_mask,
    parse_json_body,
    parse_page_size,
    query_value,
)

logger = logging.getLogger("airflow_provider_tunedmodels.emulator")

ASGIScope = dict[str, Any]
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Call:
    """One routed request."""

    request: Request
    params: dict[str, str]
    query: dict[str, str]
    identity: Identity


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """A route: method, path pattern, method id and handler."""

    method: str
    pattern: re.Pattern[str]
    route_id: str
    handler: Handler
    write: bool = False
    #: OAuth scopes that allow the route; ``None``: those of the tuning API.
    scopes: frozenset[str] | None = None


_PLACEHOLDER = re.compile(r"\{(\w+)(=\*\*)?\}")


def _compile(template: str) -> re.Pattern[str]:
    """``/v1beta/tunedModels/{model}:generateContent`` -> an anchored regular expression.

    ``{name}`` matches one segment; ``{name=**}`` matches the rest of the path.
    """
    parts: list[str] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : placeholder.start()]))
        pattern = ".+" if placeholder.group(2) else "[^/:]+"
        parts.append(f"(?P<{placeholder.group(1)}>{pattern})")
        position = placeholder.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$")


class EmulatorApp:
    """The ASGI application of one emulator instance."""

    def __init__(self, config: EmulatorConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = Store(seed=config.seed, state_file=config.state_file)
        self.auth = Authenticator(
            config.api_keys, token_lifetime=config.token_lifetime, clock=clock
        )
        for path in config.service_account_files:
            self.auth.register_key_file(admin.read_key_file(path))
        self.faults = FaultInjector(config.faults, seed=config.seed)
        self.tuned_models = TunedModels(self.store, step_seconds=config.step_seconds, clock=clock)
        self.permissions = Permissions(self.tuned_models)
        self.operations = Operations(self.tuned_models)
        self.generator = Generator(self.tuned_models)
        self.admin = admin.AdminApi(self)
        self._routes: dict[str, list[Route]] = {}
        self._register_api_routes()
        self.storage = gcs.register(self._add, config.storage, state_file=config.state_file)

    # -- routing --------------------------------------------------------------

    def _add(
        self,
        method: str,
        template: str,
        route_id: str,
        handler: Handler,
        *,
        write: bool = False,
        scopes: frozenset[str] | None = None,
    ) -> None:
        route = Route(method, _compile(template), route_id, handler, write, scopes)
        self._routes.setdefault(method, []).append(route)

    def _register_api_routes(self) -> None:
        # Hot routes first: one regular expression is tried after another.
        self._register_tuned_model_routes()
        self._register_permission_routes()
        self._register_versioned_routes()

    def _register_tuned_model_routes(self) -> None:
        base = "/v1beta/tunedModels"
        self._add("GET", f"{base}/{{model}}", "tunedModels.get", self._get_tuned_model)
        self._add("GET", base, "tunedModels.list", self._list_tuned_models)
        self._add("POST", base, "tunedModels.create", self._create_tuned_model, write=True)
        self._add(
            "PATCH", f"{base}/{{model}}", "tunedModels.patch", self._patch_tuned_model, write=True
        )
        self._add(
            "DELETE",
            f"{base}/{{model}}",
            "tunedModels.delete",
            self._delete_tuned_model,
            write=True,
        )
        self._add(
            "POST",
            f"{base}/{{model}}:transferOwnership",
            "tunedModels.transferOwnership",
            self._transfer_ownership,
            write=True,
        )

    def _register_permission_routes(self) -> None:
        perms = "/v1beta/tunedModels/{model}/permissions"
        self._add(
            "POST", perms, "tunedModels.permissions.create", self._create_permission, write=True
        )
        self._add("GET", perms, "tunedModels.permissions.list", self._list_permissions)
        one = f"{perms}/{{permission}}"
        self._add("GET", one, "tunedModels.permissions.get", self._get_permission)
        self._add("PATCH", one, "tunedModels.permissions.patch", self._patch_permission, write=True)
        self._add(
            "DELETE", one, "tunedModels.permissions.delete", self._delete_permission, write=True
        )

    def _register_versioned_routes(self) -> None:
        for version in ("v1beta", "v1"):
            base = f"/{version}"
            self._add("GET", f"{base}/models", "models.list", self._list_models)
            self._add("GET", f"{base}/models/{{model}}", "models.get", self._get_model)
            tuned = f"{base}/tunedModels/{{model}}"
            self._add(
                "POST", f"{tuned}:generateContent", "tunedModels.generateContent", self._generate
            )
            self._add(
                "POST",
                f"{tuned}:streamGenerateContent",
                "tunedModels.streamGenerateContent",
                self._stream,
            )
            base_model = f"{base}/models/{{model}}"
            self._add(
                "POST", f"{base_model}:generateContent", "models.generateContent", self._generate
            )
            self._add(
                "POST",
                f"{base_model}:streamGenerateContent",
                "models.streamGenerateContent",
                self._stream,
            )
            ops = f"{tuned}/operations"
            self._add("GET", ops, "tunedModels.operations.list", self._list_operations)
            self._add(
                "GET", f"{ops}/{{operation}}", "tunedModels.operations.get", self._get_operation
            )
        self._add(
            "POST",
            "/v1/tunedModels/{model}/operations/{operation}:cancel",
            "tunedModels.operations.cancel",
            self._cancel_operation,
            write=True,
        )
        self._add("GET", "/v1/operations", "operations.list", self._list_operations)

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes.get(method, ()):
            found = route.pattern.match(path)
            if found is not None:
                return route, found.groupdict()
        return None

    # -- ASGI -----------------------------------------------------------------

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        request = Request(scope, receive)
        reply: Reply | None
        if path.startswith("/_emulator/"):
            reply = await self.admin.handle(request)
        elif path == "/token":
            reply = await self._token(request, send)
        else:
            reply = await self._api(request, scope["method"], path, send)
        if reply is None:  # the connection was dropped on purpose
            return
        await send_reply(send, reply)

    async def _api(self, request: Request, method: str, path: str, send: ASGISend) -> Reply | None:
        try:
            matched = self._match(method, path)
            if matched is None:
                raise not_found(f"The requested URL {path} was not found on this server.")
            route, params = matched
            query = dict(request.query_params)
            identity = self.auth.identify(request.headers, query)
            self.auth.check_scopes(identity, write=route.write, allowed=route.scopes)
            if not await self._apply_faults(route.route_id, send):
                return None
            return await route.handler(Call(request, params, query, identity))
        except ApiError as error:
            return error_reply(error)
        except Exception:
            logger.exception("unexpected error while serving %s %s", method, path)
            return error_reply(ApiError("INTERNAL", "Internal error encountered."))

    async def _apply_faults(self, route_id: str, send: ASGISend) -> bool:
        """Apply latency; raise an injected error; return False when the connection was dropped."""
        decision = self.faults.decide(route_id)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.drop:
            await drop_connection(send)
            return False
        if decision.error is not None:
            raise decision.error
        return True

    async def _token(self, request: Request, send: ASGISend) -> Reply | None:
        if request.method != "POST":
            return error_reply(not_found("The requested URL /token was not found on this server."))
        try:
            if not await self._apply_faults("token", send):
                return None
        except ApiError as error:
            return error_reply(error)
        body = (await request.body()).decode("utf-8", errors="replace")
        fields = {key: values[-1] for key, values in parse_qs(body).items()}
        try:
            return json_reply(self.auth.issue_token(fields))
        except OAuthError as error:
            return Reply(body=dumps(error.body()), status=error.status)

    # -- base models ----------------------------------------------------------

    async def _get_model(self, call: Call) -> Reply:
        name = f"models/{call.params['model']}"
        model = catalog.base_model(name)
        if model is None:
            version = call.request.url.path.split("/")[1]
            raise not_found(f"{name} is not found for API version {version}.")
        return json_reply(model)

    async def _list_models(self, call: Call) -> Reply:
        names = list(catalog.BASE_MODELS)
        page, token = paginate(
            names,
            lambda name: (float(names.index(name)), name),
            page_size=parse_page_size(
                query_value(call.query, "pageSize"),
                default=catalog.MODELS_DEFAULT_PAGE_SIZE,
                maximum=limits.MAX_PAGE_SIZE,
            ),
            page_token=query_value(call.query, "pageToken"),
            query=("models",),
        )
        out: dict[str, Any] = {"models": [catalog.BASE_MODELS[name] for name in page]}
        if token:
            out["nextPageToken"] = token
        return json_reply(out)

    # -- tuned models ---------------------------------------------------------

    async def _create_tuned_model(self, call: Call) -> Reply:
        body = parse_json_body(await call.request.body())
        fail = self.faults.tuning_fails("tunedModels.create")
        tuned_model_id = query_value(call.query, "tunedModelId")
        return json_reply(self.tuned_models.create(body, tuned_model_id, call.identity, fail=fail))

    async def _get_tuned_model(self, call: Call) -> Reply:
        return Reply(body=self.tuned_models.get(call.params["model"], call.identity))

    async def _list_tuned_models(self, call: Call) -> Reply:
        return json_reply(
            self.tuned_models.list_page(
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
                raw_filter=call.query.get("filter"),
            )
        )

    async def _patch_tuned_model(self, call: Call) -> Reply:
        body = parse_json_body(await call.request.body())
        mask = parse_field_mask(query_value(call.query, "updateMask"))
        return Reply(body=self.tuned_models.patch(call.params["model"], body, mask, call.identity))

    async def _delete_tuned_model(self, call: Call) -> Reply:
        return json_reply(self.tuned_models.delete(call.params["model"], call.identity))

    async def _transfer_ownership(self, call: Call) -> Reply:
        body = parse_json_body(await call.request.body())
        return json_reply(
            self.tuned_models.transfer_ownership(call.params["model"], body, call.identity)
        )

    # -- generation -----------------------------------------------------------

    async def _generate(self, call: Call) -> Reply:
        return json_reply(response_json(await self._generation(call)))

    async def _stream(self, call: Call) -> Reply:
        generation = await self._generation(call)
        chunks = [dumps(chunk) for chunk in stream_json(generation)]
        if call.query.get("alt") == "sse":
            return Reply(stream=_sse(chunks), content_type=SSE_TYPE)
        return Reply(stream=_json_array(chunks))

    async def _generation(self, call: Call) -> Generation:
        body = parse_json_body(await call.request.body())
        if call.request.url.path.split("/")[2] == "models":
            return self.generator.generate_with_base_model(call.params["model"], body)
        return self.generator.generate(call.params["model"], body, call.identity)

    # -- operations -----------------------------------------------------------

    async def _get_operation(self, call: Call) -> Reply:
        params = call.params
        return json_reply(self.operations.get(params["model"], params["operation"], call.identity))

    async def _list_operations(self, call: Call) -> Reply:
        return json_reply(
            self.operations.list_page(
                call.params.get("model"),
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
            )
        )

    async def _cancel_operation(self, call: Call) -> Reply:
        parse_json_body(await call.request.body())
        params = call.params
        return json_reply(
            self.operations.cancel(params["model"], params["operation"], call.identity)
        )

    # -- permissions ----------------------------------------------------------

    async def _create_permission(self, call: Call) -> Reply:
        body = parse_json_body(await call.request.body())
        return json_reply(self.permissions.create(call.params["model"], body, call.identity))

    async def _list_permissions(self, call: Call) -> Reply:
        return json_reply(
            self.permissions.list_page(
                call.params["model"],
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
            )
        )

    async def _get_permission(self, call: Call) -> Reply:
        params = call.params
        return json_reply(
            self.permissions.get(params["model"], params["permission"], call.identity)
        )

    async def _patch_permission(self, call: Call) -> Reply:
        body = parse_json_body(await call.request.body())
        mask = parse_field_mask(query_value(call.query, "updateMask"))
        params = call.params
        return json_reply(
            self.permissions.patch(params["model"], params["permission"], body, mask, call.identity)
        )

    async def _delete_permission(self, call: Call) -> Reply:
        params = call.params
        return json_reply(
            self.permissions.delete(params["model"], params["permission"], call.identity)
        )


def _page_size(call: Call) -> int:
    return parse_page_size(
        query_value(call.query, "pageSize"),
        default=limits.DEFAULT_PAGE_SIZE,
        maximum=limits.MAX_PAGE_SIZE,
    )


async def _sse(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield b"data: " + chunk + b"\r\n\r\n"


async def _json_array(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for index, chunk in enumerate(chunks):
        prefix = b"[" if index == 0 else b",\r\n"
        suffix = b"]" if index == len(chunks) - 1 else b""
        yield prefix + chunk + suffix


async def _lifespan(receive: ASGIReceive, send: ASGISend) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(config: EmulatorConfig | None = None) -> EmulatorApp:
    """Build an emulator application (``config`` defaults to :class:`EmulatorConfig`)."""
    return EmulatorApp(config or EmulatorConfig())
