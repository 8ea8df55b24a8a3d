"""The bound on requests in flight, and the kept-alive connections of the async client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels.connection_form import GEMINI_CONNECTION
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.pool import LaneTransport
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    ClientSettings,
)

KEY = "AIzaSy-request-slot-test-key-01234"
ANSWER = b'{"name": "tunedModels/x"}'


def settings(base_url: str = "https://api.test", *, slots: int = 4) -> ClientSettings:
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.05, jitter=0.0)
    return ClientSettings(
        base_url=base_url,
        api_version="v1beta",
        api_key=KEY,
        retry=policy,
        max_concurrent_requests=slots,
    )


def get(name: str = "x") -> ApiCall[Any]:
    return ApiCall("GET", f"tunedModels/{name}", lambda d: d)


@dataclass
class LoopbackServer:
    """A keep-alive HTTP/1.1 server that answers every request after ``delay`` seconds."""

    delay: float = 0.01
    connections: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    port: int = 0
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                await asyncio.sleep(self.delay)
                self.in_flight -= 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    state = LoopbackServer()
    listener = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    async with listener:
        yield state
        for writer in state._writers:
            writer.close()


async def test_requests_beyond_the_bound_wait_and_connections_are_reused(
    server: LoopbackServer,
) -> None:
    async with AsyncRestClient(settings(server.url, slots=4)) as client:
        answers = await asyncio.gather(*(client.execute(get()) for _ in range(60)))
        assert answers == [{"name": "tunedModels/x"}] * 60
        assert server.most_in_flight == 4
        assert server.connections == 4
        # A second burst reuses the kept-alive connections.
        await asyncio.gather(*(client.execute(get()) for _ in range(20)))
    assert server.connections == 4


async def test_an_unused_lane_is_closed_after_the_keepalive_expiry(server: LoopbackServer) -> None:
    transport = LaneTransport(2, keepalive_expiry=0.05)
    async with httpx.AsyncClient(transport=transport) as client:
        await asyncio.gather(*(client.get(server.url) for _ in range(2)))
        assert transport.open_lanes == 2
        await asyncio.sleep(0.1)
        await client.get(server.url)
        assert transport.open_lanes == 1
    assert server.connections == 3


async def test_the_bound_holds_with_any_transport() -> None:
    in_flight = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return httpx.Response(200, content=ANSWER)

    transport = httpx.MockTransport(handler)
    async with AsyncRestClient(settings(slots=3), transport=transport) as client:
        await asyncio.gather(*(client.execute(get()) for _ in range(30)))
    assert most == 3


async def test_a_request_waiting_to_be_repeated_gives_its_slot_to_others() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.rsplit("/", 1)[-1])
        if seen.count("a") == 1 and seen[-1] == "a":
            return httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})
        return httpx.Response(200, content=ANSWER)

    transport = httpx.MockTransport(handler)
    async with AsyncRestClient(settings(slots=1), transport=transport) as client:
        first = asyncio.ensure_future(client.execute(get("a")))
        await asyncio.sleep(0.01)  # "a" failed and is waiting 0.05 s to be repeated
        await client.execute(get("b"))
        await first
    assert seen == ["a", "b", "a"]


async def test_the_sync_client_shared_by_threads_keeps_the_bound(server: LoopbackServer) -> None:
    with RestClient(settings(server.url, slots=3)) as client:
        calls = [asyncio.to_thread(client.execute, get()) for _ in range(18)]
        assert len(await asyncio.gather(*calls)) == 18
    assert server.most_in_flight == 3
    assert server.connections == 3


def connection(**extra: Any) -> SimpleNamespace:
    return SimpleNamespace(conn_id="gemini", host=None, password=KEY, extra_dejson=extra)


def test_the_bound_comes_from_the_connection_extra_or_the_default() -> None:
    assert ClientSettings.from_connection(
        connection(), GEMINI_CONNECTION
    ).max_concurrent_requests == (DEFAULT_MAX_CONCURRENT_REQUESTS)
    settings = ClientSettings.from_connection(
        connection(max_concurrent_requests="8"), GEMINI_CONNECTION
    )
    assert settings.max_concurrent_requests == 8


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Requests at once must be at least 1, got 0"),
        ("2.5", "Requests at once must be a whole number, got 2.5"),
        ("many", "Requests at once must be a number, got 'many'"),
    ],
)
def test_a_bad_bound_is_a_configuration_error(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ClientSettings.from_connection(connection(max_concurrent_requests=value), GEMINI_CONNECTION)
