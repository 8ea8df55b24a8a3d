"""Replies and how they are written to the ASGI channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError
from airflow_provider_tunedmodels.emulator.wire import dumps

__all__ = [
    "JSON_TYPE",
    "SSE_TYPE",
    "ASGISend",
    "Reply",
    "drop_connection",
    "error_reply",
    "json_reply",
    "send_reply",
    "stream_reply",
]

JSON_TYPE = b"application/json; charset=UTF-8"
SSE_TYPE = b"text/event-stream"
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Reply:
    """A response: a body, or a stream of chunks."""

    body: bytes = b"{}"
    status: int = 200
    content_type: bytes = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    stream: AsyncIterator[bytes] | None = None


def json_reply(value: Any, status: int = 200) -> Reply:
    """A JSON reply."""
    return Reply(body=dumps(value), status=status)


def error_reply(error: ApiError) -> Reply:
    """The Google error envelope for ``error``."""
    return Reply(body=error.body(), status=error.http_status, headers=error.headers)


def stream_reply(chunks: Sequence[Any], *, sse: bool) -> Reply:
    """A streamed answer of JSON ``chunks``, as Google's streaming methods send it.

    With ``sse`` (the ``alt=sse`` query parameter) each chunk is an event
    ``data: {...}`` followed by a blank line; otherwise the chunks form one JSON
    array written piece by piece, framed exactly ``[`` ... ``]``.
    """
    encoded = [dumps(chunk) for chunk in chunks]
    if sse:
        return Reply(stream=_sse(encoded), content_type=SSE_TYPE)
    return Reply(stream=_json_array(encoded))


async def _sse(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield b"data: " + chunk + b"\r\n\r\n"


async def _json_array(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for index, chunk in enumerate(chunks):
        prefix = b"[" if index == 0 else b",\r\n"
        suffix = b"]" if index == len(chunks) - 1 else b""
        yield prefix + chunk + suffix


async def send_reply(send: ASGISend, reply: Reply) -> None:
    """Write ``reply`` to the ASGI channel."""
    headers = [(b"content-type", reply.content_type)]
    headers.extend((name.encode(), value.encode()) for name, value in reply.headers.items())
    if reply.stream is None:
        headers.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})
        return
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    async for chunk in reply.stream:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def drop_connection(send: ASGISend) -> None:
    """Close the client connection without answering.

    uvicorn's ``send`` is a bound method of its request cycle, which holds the
    transport; closing it is a dropped connection as the client sees it. With
    another server, the response is started and abandoned instead, which the
    server turns into an aborted connection.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(cycle, "disconnected"):
        transport.close()
        cycle.disconnected = True  # type: ignore[union-attr]
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1")],
        }
    )
    raise ConnectionAbortedError("connection dropped by fault injection")
