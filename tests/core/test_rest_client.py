"""Retries, error mapping and redaction in the REST clients, through httpx's MockTransport."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels.core import errors
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings

KEY = "AIzaSy-secret-key-for-redaction-tests"
Handler = Callable[[httpx.Request], httpx.Response]


def settings(max_attempts: int = 4) -> ClientSettings:
    policy = RetryPolicy(
        max_attempts=max_attempts, initial_backoff=0.5, jitter=0.0, total_timeout=100
    )
    return ClientSettings(
        base_url="https://api.test", api_version="v1beta", api_key=KEY, retry=policy
    )


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def envelope(code: int, status: str, message: str = "nope", **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "status": status}}
    return httpx.Response(code, json=body, headers=headers)


GET = ApiCall("GET", "tunedModels/x", lambda d: d)
CREATE_WITHOUT_ID = ApiCall("POST", "tunedModels", lambda d: d, body={}, idempotent=False)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client_for(sleeps: list[float]) -> Iterator[Callable[..., RestClient]]:
    clients: list[RestClient] = []

    def make(handler: Handler, max_attempts: int = 4) -> RestClient:
        client = RestClient(
            settings(max_attempts), transport=httpx.MockTransport(handler), sleep=sleeps.append
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_transient_errors_are_retried_honouring_retry_after(
    client_for: Any, sleeps: list[float]
) -> None:
    handler, seen = scripted(
        envelope(503, "UNAVAILABLE", **{"Retry-After": "2"}),
        envelope(429, "RESOURCE_EXHAUSTED"),
        httpx.Response(200, json={"ok": True}),
    )
    assert client_for(handler).execute(GET) == {"ok": True}
    assert len(seen) == 3
    assert sleeps == [2.0, 1.0]


def test_attempts_are_bounded_and_reported(client_for: Any, sleeps: list[float]) -> None:
    handler, seen = scripted(*[envelope(503, "UNAVAILABLE") for _ in range(3)])
    with pytest.raises(errors.UnavailableError) as exc:
        client_for(handler, max_attempts=3).execute(GET)
    assert exc.value.attempts == 3
    assert len(seen) == 3
    assert sleeps == [0.5, 1.0]
    assert "after 3 attempts" in str(exc.value)


def test_unsafe_calls_are_not_repeated_after_the_server_may_have_acted(client_for: Any) -> None:
    handler, seen = scripted(envelope(500, "INTERNAL"))
    with pytest.raises(errors.ServerError):
        client_for(handler).execute(CREATE_WITHOUT_ID)
    assert len(seen) == 1

    handler, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(errors.TransportError, match="ReadTimeout"):
        client_for(handler).execute(CREATE_WITHOUT_ID)
    assert len(seen) == 1


def test_unsafe_calls_are_repeated_when_the_server_did_nothing(client_for: Any) -> None:
    handler, seen = scripted(
        httpx.ConnectError("refused"),
        envelope(429, "RESOURCE_EXHAUSTED"),
        httpx.Response(200, json={}),
    )
    assert client_for(handler).execute(CREATE_WITHOUT_ID) == {}
    assert len(seen) == 3


def test_client_errors_are_raised_at_once_with_their_class(client_for: Any) -> None:
    handler, seen = scripted(
        envelope(404, "NOT_FOUND", "Tuned model tunedModels/x does not exist.")
    )
    with pytest.raises(errors.NotFoundError) as exc:
        client_for(handler).execute(GET)
    assert len(seen) == 1
    assert exc.value.http_status == 404
    assert exc.value.message == "Tuned model tunedModels/x does not exist."
    assert exc.value.url == "https://api.test/v1beta/tunedModels/x"


def test_non_json_error_bodies_still_map_by_http_status(client_for: Any) -> None:
    handler, _ = scripted(httpx.Response(403, text="<html>Forbidden</html>"))
    with pytest.raises(errors.PermissionDeniedError) as exc:
        client_for(handler).execute(GET)
    assert exc.value.status == "FORBIDDEN"
    assert "<html>Forbidden</html>" in exc.value.message


def test_secrets_never_reach_exception_text_or_logs(
    client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    echo = f"API key {KEY} not valid. Please pass a valid API key."
    handler, seen = scripted(
        envelope(503, "UNAVAILABLE", echo),
        httpx.Response(
            400,
            json={
                "error": {
                    "code": 400,
                    "message": echo,
                    "status": "INVALID_ARGUMENT",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "metadata": {"key": KEY},
                        }
                    ],
                }
            },
        ),
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(errors.InvalidArgumentError) as exc:
        client_for(handler).execute(GET)
    assert seen[0].headers["x-goog-api-key"] == KEY
    everything = "\n".join([str(exc.value), repr(exc.value), str(exc.value.details), caplog.text])
    assert KEY not in everything
    assert "API_KEY_INVALID" in str(exc.value)
    assert "***" in exc.value.message


class RefreshingAuth:
    """Counts refreshes like google-auth credentials would."""

    def __init__(self) -> None:
        self.token = "t1"
        self.invalidations = 0

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def invalidate(self) -> bool:
        self.invalidations += 1
        self.token = "t2"
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


def test_a_401_refreshes_the_token_once_and_repeats() -> None:
    handler, seen = scripted(envelope(401, "UNAUTHENTICATED"), httpx.Response(200, json={"ok": 1}))
    auth = RefreshingAuth()
    with RestClient(settings(), auth, transport=httpx.MockTransport(handler)) as client:
        assert client.execute(GET) == {"ok": 1}
    assert [r.headers["authorization"] for r in seen] == ["Bearer t1", "Bearer t2"]
    assert auth.invalidations == 1


def test_a_second_401_is_raised() -> None:
    handler, _ = scripted(envelope(401, "UNAUTHENTICATED"), envelope(401, "UNAUTHENTICATED"))
    with RestClient(settings(), RefreshingAuth(), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(errors.UnauthenticatedError, match="Check the credentials"):
            client.execute(GET)


async def test_async_client_retries_like_the_sync_one() -> None:
    handler, seen = scripted(
        httpx.ConnectError("refused"),
        envelope(503, "UNAVAILABLE", **{"Retry-After": "3"}),
        httpx.Response(200, json={"ok": True}),
    )
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    async with AsyncRestClient(
        settings(), transport=httpx.MockTransport(handler), sleep=record
    ) as client:
        assert await client.execute(GET) == {"ok": True}
    assert len(seen) == 3
    assert sleeps == [0.5, 3.0]


async def test_async_client_maps_errors() -> None:
    handler, _ = scripted(envelope(409, "ALREADY_EXISTS"))
    async with AsyncRestClient(settings(), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(errors.AlreadyExistsError) as exc:
            await client.execute(GET)
    assert exc.value.attempts == 1
