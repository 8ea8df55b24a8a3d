"""Calls with raw bodies, absolute URLs and non-2xx answers (what uploads need)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_tunedmodels.core import errors
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings

MIB = 1024 * 1024
SETTINGS = ClientSettings(
    base_url="https://api.test",
    api_key="AIzaSy-raw-call-test-key",
    retry=RetryPolicy(max_attempts=2, initial_backoff=0.0, jitter=0.0),
)
SESSION = "https://upload.test/session?upload_id=capability-secret&uploadType=resumable"


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


def answer(seen: list[httpx.Request], response: httpx.Response) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return response

    return httpx.MockTransport(handler)


@pytest.fixture
def client_with(seen: list[httpx.Request]) -> Iterator[object]:
    clients: list[RestClient] = []

    def make(response: httpx.Response) -> RestClient:
        client = RestClient(SETTINGS, transport=answer(seen, response), sleep=lambda _: None)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_raw_body_headers_and_absolute_url_keep_its_query(
    client_with: object, seen: list[httpx.Request]
) -> None:
    client = client_with(httpx.Response(308, headers={"range": "bytes=0-9"}))  # type: ignore[operator]
    call = ApiCall(
        "PUT",
        "",
        lambda response: response.headers["range"],
        params={"extra": "1"},
        url=SESSION,
        content=b"0123456789",
        headers={"content-range": "bytes 0-9/*"},
        expected_statuses=frozenset({308}),
        raw_response=True,
    )
    assert client.execute(call) == "bytes=0-9"
    request = seen[0]
    assert request.url.params["upload_id"] == "capability-secret"
    assert request.url.params["extra"] == "1"
    assert request.content == b"0123456789"
    assert request.headers["content-range"] == "bytes 0-9/*"
    assert request.headers["x-goog-api-key"] == SETTINGS.api_key
    assert client.url(call) == "https://upload.test/session"


def test_errors_of_absolute_urls_do_not_show_their_query(client_with: object) -> None:
    client = client_with(  # type: ignore[operator]
        httpx.Response(400, json={"error": {"code": 400, "message": "bad chunk"}})
    )
    call = ApiCall("PUT", "", lambda r: r, url=SESSION, content=b"x", raw_response=True)
    with pytest.raises(errors.InvalidArgumentError) as raised:
        client.execute(call)
    assert raised.value.url == "https://upload.test/session"
    assert "capability-secret" not in str(raised.value)


def test_large_request_bodies_are_freed_without_the_garbage_collector() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with RestClient(SETTINGS, transport=transport) as client:
        client.execute(ApiCall("PUT", "warm-up", lambda d: d, content=b"x"))
        enabled = gc.isenabled()
        gc.disable()
        tracemalloc.start()
        try:
            for _ in range(8):
                client.execute(ApiCall("PUT", "chunk", lambda d: d, content=bytes(MIB)))
            current, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            if enabled:
                gc.enable()
    assert current < MIB, f"{current / MIB:.1f} MiB still held after eight 1 MiB uploads"


async def test_async_client_sends_raw_calls_the_same_way(seen: list[httpx.Request]) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await request.aread()
        seen.append(request)
        return httpx.Response(308)

    async with AsyncRestClient(SETTINGS, transport=httpx.MockTransport(handler)) as client:
        call = ApiCall(
            "PUT",
            "",
            lambda response: response.status_code,
            url=SESSION,
            content=b"abc",
            expected_statuses=frozenset({308}),
            raw_response=True,
        )
        assert await client.execute(call) == 308
    assert seen[0].content == b"abc"
    assert seen[0].url.params["upload_id"] == "capability-secret"
