"""Connections for httpcore straight on asyncio: what each request costs the event loop, cut down.

httpcore reaches the network through anyio, whose every read and write opens a
cancel scope, asks sniffio which event loop runs, and answers a connection's
"is the server gone?" question with a ``poll`` system call. With thousands of
small requests on one loop (a triggerer, an evaluation), that layer costs about
as much as the HTTP work itself. :class:`AsyncioBackend` gives httpcore the same
connections on an :class:`asyncio.Protocol` instead: reads wait on one future
with one timer, the request's head and body leave in one ``send``, and whether
an idle connection was closed by the server is known without a system call.

Behaviour is httpcore's own: the same exceptions (``ConnectError``,
``ReadTimeout``, ``WriteError``...), which httpx turns into its own; TLS by
:meth:`asyncio.loop.start_tls`; received data held up to :data:`READ_LIMIT`
before the socket stops being read, so a slow consumer of a large download does
not fill memory.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["READ_LIMIT", "AsyncioBackend"]

#: Bytes received but not yet read after which the socket is no longer read.
READ_LIMIT = 256 * 1024
#: Bytes written but held back (to leave with the next ones) after which they are sent.
WRITE_HOLD_LIMIT = 64 * 1024

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class _Protocol(asyncio.Protocol):
    """Buffers what a connection receives and wakes the one reader waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self.reading_paused = False
        self.writing_paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_LIMIT and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def readable(self, timeout: float | None) -> None:
        """Wait until data or the end of the connection arrives (``ReadTimeout`` after ``timeout``)."""
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await _within(self._waiter, timeout, httpcore.ReadTimeout)
        finally:
            self._waiter = None

    async def drained(self, timeout: float | None) -> None:
        """Wait until the transport takes writes again (``WriteTimeout`` after ``timeout``)."""
        self._drained = asyncio.get_running_loop().create_future()
        try:
            await _within(self._drained, timeout, httpcore.WriteTimeout)
        finally:
            self._drained = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


async def _within(
    future: asyncio.Future[None], timeout: float | None, error: type[Exception]
) -> None:
    """Await ``future``, raising ``error`` if it is not done within ``timeout`` seconds."""
    if timeout is None:
        await future
        return
    loop = asyncio.get_running_loop()
    timer = loop.call_later(timeout, _expire, future, error)
    try:
        await future
    finally:
        timer.cancel()


def _expire(future: asyncio.Future[None], error: type[Exception]) -> None:
    if not future.done():
        future.set_exception(error("timed out"))


class _Stream(httpcore.AsyncNetworkStream):
    """One connection as httpcore sees it.

    Writes are held back until the next read (or until :data:`WRITE_HOLD_LIMIT`
    bytes wait), so a request's head and body leave in one ``send``.
    """

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._held: list[bytes] = []
        self._held_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush(timeout)
        protocol = self._protocol
        if not protocol.buffer and not protocol.closed:
            await protocol.readable(timeout)
        buffer = protocol.buffer
        if buffer:
            if len(buffer) <= max_bytes:
                data = bytes(buffer)
                buffer.clear()
            else:
                data = bytes(buffer[:max_bytes])
                del buffer[:max_bytes]
            if protocol.reading_paused and len(buffer) <= READ_LIMIT // 2:
                protocol.reading_paused = False
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._protocol.closed or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._held.append(buffer)
        self._held_size += len(buffer)
        if self._held_size >= WRITE_HOLD_LIMIT:
            await self._flush(timeout)

    async def _flush(self, timeout: float | None) -> None:
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._held_size = 0
        if self._protocol.closed or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)
        if self._protocol.writing_paused:
            await self._protocol.drained(timeout)
            if self._protocol.closed:
                raise httpcore.WriteError("the connection was closed while writing")

    async def aclose(self) -> None:
        self._held.clear()
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        await self._flush(timeout)
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out during the TLS handshake") from None
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._protocol.transport = transport
        return _Stream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle connection that is readable was closed by the server (or sent junk).
            return bool(self._protocol.buffer) or self._protocol.closed
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on plain asyncio (TCP, TLS and Unix sockets)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        return await _connect(
            loop.create_connection(_Protocol, host, port, local_addr=local),
            timeout,
            socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await _connect(loop.create_unix_connection(_Protocol, path), timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(
    connecting: Any, timeout: float | None, socket_options: Iterable[SocketOption] | None
) -> _Stream:
    try:
        transport, protocol = await asyncio.wait_for(connecting, timeout)
    except asyncio.TimeoutError:
        raise httpcore.ConnectTimeout("timed out while connecting") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    raw: socket.socket | None = transport.get_extra_info("socket")
    for option in socket_options or ():
        if raw is not None:
            raw.setsockopt(*option)
    return _Stream(transport, protocol)
