"""The emulator's ASGI application: dispatch, authentication, faults, responses.

The application knows no API: every package listed in
:mod:`airflow_provider_tunedmodels.emulator.apis` adds its routes to one
:class:`~airflow_provider_tunedmodels.emulator.router.Router`, and each request
is matched there (one regular expression after another), authenticated by the
route's access policy, exposed to the fault rules of its method id and handed
to the route's handler. Requests are read with Starlette's
:class:`~starlette.requests.Request` and responses written straight to the ASGI
``send`` channel, which keeps hot routes cheap enough for thousands of calls per
second. ``/token`` (the OAuth2 token endpoint) and ``/_emulator/`` (the control
API) are served here, outside the route table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from airflow_provider_tunedmodels.emulator import admin
from airflow_provider_tunedmodels.emulator.apis import REGISTRATIONS, Registration
from airflow_provider_tunedmodels.emulator.auth import Authenticator, OAuthError
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.errors import ApiError, not_found
from airflow_provider_tunedmodels.emulator.faults import FaultInjector
from airflow_provider_tunedmodels.emulator.responses import (
    ASGISend,
    Reply,
    drop_connection,
    error_reply,
    json_reply,
    send_reply,
)
from airflow_provider_tunedmodels.emulator.router import Call, Router, read_body
from airflow_provider_tunedmodels.emulator.state import StateFile
from airflow_provider_tunedmodels.emulator.wire import dumps

__all__ = ["INTERNAL_ERROR_MESSAGE", "EmulatorApp", "create_app"]

logger = logging.getLogger("airflow_provider_tunedmodels.emulator")

#: Message of the ``500 INTERNAL`` answered when a request fails unexpectedly.
INTERNAL_ERROR_MESSAGE = "Internal error encountered."

ASGIScope = dict[str, Any]
ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]


class EmulatorApp:
    """The ASGI application of one emulator instance.

    :param config: the instance's settings.
    :param clock: wall-clock time source (tests may pass a fake one).
    :param apis: the ``register`` functions of the APIs to serve (default: all).
    """

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Callable[[], float] = time.time,
        apis: Sequence[Registration] = REGISTRATIONS,
    ) -> None:
        self.config = config
        self.state = StateFile(config.state_file)
        self.faults = FaultInjector(config.faults, seed=config.seed)
        self.context = ServerContext(config, self.state, self.faults, clock)
        self.auth = Authenticator(
            config.api_keys, token_lifetime=config.token_lifetime, clock=clock
        )
        for path in config.service_account_files:
            self.auth.register_key_file(admin.read_key_file(path))
        self.router = Router()
        for register in apis:
            register(self.router, self.context)
        self.admin = admin.AdminApi(self)

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            reply = await self._dispatch(Request(scope, receive), send)
        except ConnectionAbortedError:
            raise  # a dropped connection, on purpose (see responses.drop_connection)
        except Exception:
            # The last resort: whatever went wrong, the client gets the JSON error
            # envelope, never the server's plain-text page or a torn connection.
            logger.exception("unexpected error while serving %s %s", scope["method"], scope["path"])
            reply = error_reply(ApiError("INTERNAL", INTERNAL_ERROR_MESSAGE))
        if reply is None:  # the connection was dropped on purpose
            return
        await send_reply(send, reply)

    async def _dispatch(self, request: Request, send: ASGISend) -> Reply | None:
        """The reply to ``request``: control API, token endpoint or a routed API call."""
        path: str = request.scope["path"]
        if path.startswith("/_emulator/"):
            return await self.admin.handle(request)
        if path == "/token":
            return await self._token(request, send)
        return await self._api(request, request.method, path, send)

    async def _api(self, request: Request, method: str, path: str, send: ASGISend) -> Reply | None:
        try:
            matched = self.router.match(method, path)
            if matched is None:
                raise not_found(f"The requested URL {path} was not found on this server.")
            route, params = matched
            query = dict(request.query_params)
            identity = route.access.authorize(self.auth, request.headers, query, write=route.write)
            if not await self._apply_faults(route.route_id, send):
                return None
            return await route.handler(Call(request, params, query, identity))
        except ApiError as error:
            return error_reply(error)

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
        try:
            body = (await read_body(request)).decode("utf-8", errors="replace")
        except ApiError as error:
            return error_reply(error)
        fields = {key: values[-1] for key, values in parse_qs(body).items()}
        try:
            return json_reply(self.auth.issue_token(fields))
        except OAuthError as error:
            return Reply(body=dumps(error.body()), status=error.status)


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
