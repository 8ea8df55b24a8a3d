"""An async connection pool that stays cheap with many requests waiting: one connection per lane.

httpcore's pool looks at every connection, and for every idle one counts the
idle connections again, each time a request arrives or a response is closed.
With 32 connections that is about a thousand checks per request, and with a
thousand triggers queued on one event loop the loop spends most of its time
there. :class:`LaneTransport` keeps ``size`` independent single-connection
pools ("lanes") instead: a request borrows a free lane, sends on its one
connection, and gives the lane back when its response is closed. Borrowing and
returning are O(1), at most ``size`` requests are sent at once (the others wait
in FIFO order), and a connection is kept alive between requests (one per lane,
so keep-alive connections == connections == ``size``). Lanes are opened on
demand; one left unused for ``keepalive_expiry`` seconds is closed at the next
request, so a client whose load drops holds few connections.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

import httpcore
import httpx

from airflow_provider_tunedmodels.core.streams import AsyncioBackend

__all__ = ["DEFAULT_KEEPALIVE_EXPIRY", "LaneTransport"]

#: Seconds an unused connection stays open: longer than short poll intervals, and short
#: enough that connections a server closed for idleness do not linger on this side.
DEFAULT_KEEPALIVE_EXPIRY = 15.0


class _Lane:
    """One single-connection transport and when it was last given back."""

    __slots__ = ("last_used", "transport")

    def __init__(self, transport: httpx.AsyncHTTPTransport) -> None:
        self.transport = transport
        self.last_used = time.monotonic()


class LaneTransport(httpx.AsyncBaseTransport):
    """At most ``size`` requests at once, each on its own kept-alive connection.

    :param size: lanes, i.e. connections and requests in flight at most.
    :param keepalive_expiry: seconds after which an unused lane's connection is closed.
    :param verify: TLS verification, as for ``httpx.AsyncHTTPTransport``; the SSL
        context is built once and shared by every lane.
    :param trust_env: read ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` like httpx does.
    """

    def __init__(
        self,
        size: int,
        *,
        keepalive_expiry: float = DEFAULT_KEEPALIVE_EXPIRY,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.size = size
        self.keepalive_expiry = keepalive_expiry
        self._verify = verify
        self._trust_env = trust_env
        self._ssl_context: ssl.SSLContext | None = None
        self._slots = asyncio.Semaphore(size)
        #: Free lanes, least recently used first; borrowing takes the most recent one.
        self._free: deque[_Lane] = deque()
        self._open = 0

    @property
    def open_lanes(self) -> int:
        """Lanes currently open (each holds at most one connection)."""
        return self._open

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._slots.acquire()
        try:
            lane = await self._borrow()
        except BaseException:
            self._slots.release()
            raise
        try:
            response = await lane.transport.handle_async_request(request)
        except BaseException:
            self._give_back(lane)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _LaneStream(response.stream, lambda: self._give_back(lane))
        return response

    async def aclose(self) -> None:
        lanes = list(self._free)
        self._free.clear()
        for lane in lanes:
            await self._close(lane)

    async def _borrow(self) -> _Lane:
        await self._close_expired()
        if self._free:
            return self._free.pop()
        self._open += 1
        ssl_context = self._shared_ssl_context()
        transport = httpx.AsyncHTTPTransport(
            verify=ssl_context,
            limits=httpx.Limits(
                max_connections=1,
                max_keepalive_connections=1,
                keepalive_expiry=self.keepalive_expiry,
            ),
        )
        if isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
            # The same pool httpx builds, on connections straight on asyncio (see .streams).
            transport._pool = httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=1,
                max_keepalive_connections=1,
                keepalive_expiry=self.keepalive_expiry,
                network_backend=AsyncioBackend(),
            )
        return _Lane(transport)

    def _give_back(self, lane: _Lane) -> None:
        lane.last_used = time.monotonic()
        self._free.append(lane)
        self._slots.release()

    async def _close_expired(self) -> None:
        """Close lanes unused for longer than ``keepalive_expiry`` (the oldest are first)."""
        deadline = time.monotonic() - self.keepalive_expiry
        while self._free and self._free[0].last_used < deadline:
            await self._close(self._free.popleft())

    async def _close(self, lane: _Lane) -> None:
        self._open -= 1
        await lane.transport.aclose()

    def _shared_ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            if isinstance(self._verify, ssl.SSLContext):
                self._ssl_context = self._verify
            else:
                self._ssl_context = _create_ssl_context(self._verify, self._trust_env)
        return self._ssl_context


class _LaneStream(httpx.AsyncByteStream):
    """A response body that gives its lane back once, when closed."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if not self._released:
                self._released = True
                self._release()


def _create_ssl_context(verify: bool, trust_env: bool) -> ssl.SSLContext:
    """httpx's SSL context for ``verify`` and ``trust_env``, built once per process.

    Loading the trusted certificates takes tens of milliseconds, which every new
    client (an evaluation, a triggerer's first trigger) would pay again. The
    certificate locations ``trust_env`` reads are part of the key.
    """
    locations = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return _ssl_context(verify, trust_env, locations if trust_env else (None, None))


@functools.lru_cache(maxsize=8)
def _ssl_context(
    verify: bool, trust_env: bool, locations: tuple[str | None, str | None]
) -> ssl.SSLContext:
    try:
        from httpx import create_ssl_context
    except ImportError:  # httpx before 0.28
        from httpx._config import create_ssl_context
    return create_ssl_context(verify=verify, trust_env=trust_env)
