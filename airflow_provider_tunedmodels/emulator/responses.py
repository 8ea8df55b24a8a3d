"""Replies and how they are written to the ASGI channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError
from airflow_provider_tunedmodels.emulator.wire import dumps

__all__ = [
    "JSON_TYPE",
    "SSE_TYPE",
    "STREAM_CHUNK_INTERVAL",
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
#: Seconds between two chunks of a stream, so that each leaves the server as a
#: write of its own and clients read them apart, as from the real service.
STREAM_CHUNK_INTERVAL = 0.01


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
    array written piece by piece, framed exactly ``[`` ... ``]``. Chunks are
    serialised before the answer starts (an error is still a plain error
    envelope) and written :data:`STREAM_CHUNK_INTERVAL` apart.
    """
    encoded = [dumps(chunk) for chunk in chunks]
    if sse:
        pieces = [b"data: " + chunk + b"\r\n\r\n" for chunk in encoded]
        return Reply(stream=_paced(pieces), content_type=SSE_TYPE)
    last = len(encoded) - 1
    pieces = [
        (b"[" if index == 0 else b",\r\n") + chunk + (b"]" if index == last else b"")
        for index, chunk in enumerate(encoded)
    ]
    return Reply(stream=_paced(pieces))


async def _paced(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for index, piece in enumerate(pieces):
        if index:
            await asyncio.sleep(STREAM_CHUNK_INTERVAL)
        yield piece


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
