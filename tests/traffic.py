"""The requests a hook really sends, watched on their way to the server.

:class:`Traffic` hands a hook transports that wrap httpx's own network
transports: every request still goes to the server (the bundled emulator) and
gets the server's own answer, while the test sees which requests were sent, in
which order, and how many were in flight at once.

Two optional callbacks let a test act at a precise moment, as a second client
or the network would: ``before(request)`` runs just before a request leaves
(e.g. another worker grants the same permission first: a real race), and
``after(request)`` just after its answer arrived (raising ``httpx.ReadError``
there loses an answer the server did send).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["RequestCallback", "Sent", "Traffic"]

#: Called with a request just before it is sent, or just after its answer arrived.
RequestCallback = Callable[[httpx.Request], None]


@dataclass(frozen=True)
class Sent:
    """One request as it left the client.

    :ivar method: the HTTP method.
    :ivar path: the URL path, e.g. ``/v1beta/tunedModels/m1/permissions``.
    :ivar params: the query parameters.
    :ivar body: the JSON body, or ``None`` without one.
    """

    method: str
    path: str
    params: dict[str, str]
    body: Any

    @property
    def call(self) -> tuple[str, str]:
        """``(method, path)``: what was asked of which resource."""
        return self.method, self.path


@dataclass
class Traffic:
    """Records the requests of the hooks it serves; counts those in flight at once.

    A request is in flight from the moment it is sent until its answer's headers arrive.
    """

    before: RequestCallback | None = None
    after: RequestCallback | None = None
    #: Every request, in the order they were sent (retries included).
    sent: list[Sent] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def transport(self) -> httpx.BaseTransport:
        """A transport for a hook's blocking client."""
        return _Tap(self)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """A transport for a hook's async client."""
        return _AsyncTap(self)

    def calls(self) -> list[tuple[str, str]]:
        """``(method, path)`` of every request, in order."""
        return [sent.call for sent in self.sent]

    def writes(self) -> list[tuple[str, str]]:
        """The requests that change something."""
        return [sent.call for sent in self.sent if sent.method != "GET"]

    def bodies(self, path_suffix: str) -> list[Any]:
        """The JSON bodies sent to paths ending with ``path_suffix``, in order."""
        return [sent.body for sent in self.sent if sent.path.endswith(path_suffix)]

    def _leaving(self, request: httpx.Request) -> None:
        if self.before is not None:
            self.before(request)
        body = json.loads(request.content) if request.content else None
        sent = Sent(request.method, request.url.path, dict(request.url.params), body)
        with self._lock:
            self.sent.append(sent)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _answered(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _arrived(self, request: httpx.Request) -> None:
        if self.after is not None:
            self.after(request)


def _plain_http() -> ssl.SSLContext:
    """A TLS context trusting no CA: cheap to build, and never used on plain-HTTP loopback."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class _Tap(httpx.BaseTransport):
    """Sends through a real :class:`httpx.HTTPTransport`, opened again after each close."""

    def __init__(self, traffic: Traffic) -> None:
        self._traffic = traffic
        self._inner: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            self._inner = httpx.HTTPTransport(verify=_plain_http())
        self._traffic._leaving(request)
        try:
            response = self._inner.handle_request(request)
        finally:
            self._traffic._answered()
        try:
            self._traffic._arrived(request)
        except BaseException:
            response.close()
            raise
        return response

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()
            self._inner = None


class _AsyncTap(httpx.AsyncBaseTransport):
    """Async twin of :class:`_Tap` (each operator run closes its async client)."""

    def __init__(self, traffic: Traffic) -> None:
        self._traffic = traffic
        self._inner: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport(verify=_plain_http())
        self._traffic._leaving(request)
        try:
            response = await self._inner.handle_async_request(request)
        finally:
            self._traffic._answered()
        try:
            self._traffic._arrived(request)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()
            self._inner = None
