"""Answers and credentials the clients must survive: odd bodies, refused keys, unusable API keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels.connection_form import GEMINI_CONNECTION
from airflow_provider_tunedmodels.core import errors
from airflow_provider_tunedmodels.core.auth import ApiKeyAuth
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.models.gemini import TunedModel
from airflow_provider_tunedmodels.tuning_policy import is_transient_error

KEY = "AIzaSy-bad-answer-test-key-0123456"
PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
Handler = Callable[[httpx.Request], httpx.Response]

GET_MODEL = ApiCall("GET", "tunedModels/x", TunedModel.from_wire, params={"pageToken": "tok-123"})
CREATE_WITHOUT_ID = ApiCall("POST", "tunedModels", lambda d: d, body={}, idempotent=False)


def settings(max_attempts: int = 3) -> ClientSettings:
    policy = RetryPolicy(max_attempts=max_attempts, initial_backoff=0.0, jitter=0.0)
    return ClientSettings(
        base_url="https://api.test", api_version="v1beta", api_key=KEY, retry=policy
    )


def answering(*bodies: str | bytes, status: int = 200) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers ``bodies`` in turn with ``status``, recording the requests."""
    seen: list[httpx.Request] = []
    queue = list(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = queue.pop(0)
        content = body.encode() if isinstance(body, str) else body
        return httpx.Response(status, content=content, headers={"content-type": "text/html"})

    return handler, seen


def run(handler: Handler, call: ApiCall[Any], max_attempts: int = 3) -> Any:
    transport = httpx.MockTransport(handler)
    with RestClient(settings(max_attempts), transport=transport, sleep=lambda _: None) as client:
        return client.execute(call)


# --- success statuses with bodies that are not the JSON object -----------------------------------


def test_a_proxy_page_is_transient_and_repeated_for_safe_calls() -> None:
    good = json.dumps({"name": "tunedModels/x", "state": "ACTIVE"})
    handler, seen = answering(PROXY_PAGE, good)
    model = run(handler, GET_MODEL)
    assert model.name == "tunedModels/x"
    assert len(seen) == 2


def test_a_proxy_page_that_persists_is_a_typed_transient_error() -> None:
    handler, seen = answering(PROXY_PAGE, PROXY_PAGE, PROXY_PAGE)
    with pytest.raises(errors.UnreadableResponseError) as caught:
        run(handler, GET_MODEL)
    error = caught.value
    assert len(seen) == 3
    assert error.attempts == 3
    assert error.http_status == 200
    assert error.url == "https://api.test/v1beta/tunedModels/x"
    assert "tok-123" not in str(error)
    assert "HTML page" in str(error)
    assert "502 Bad Gateway" in str(error)
    assert error.transient
    assert is_transient_error(error)
    assert error.__cause__ is None


def test_a_cut_off_body_is_transient() -> None:
    handler, _ = answering('{"name": "tunedModels/x", "sta')
    with pytest.raises(errors.UnreadableResponseError, match="cut off or corrupted") as caught:
        run(handler, GET_MODEL, max_attempts=1)
    assert not isinstance(caught.value.__context__, json.JSONDecodeError)


def test_an_unreadable_answer_to_an_unsafe_call_is_not_repeated() -> None:
    handler, seen = answering(PROXY_PAGE)
    with pytest.raises(errors.UnreadableResponseError):
        run(handler, CREATE_WITHOUT_ID)
    assert len(seen) == 1


def test_a_json_list_where_an_object_is_expected_is_a_permanent_typed_error() -> None:
    handler, seen = answering('[{"name": "tunedModels/x"}]')
    with pytest.raises(
        errors.InvalidResponseError, match="a JSON list where a JSON object"
    ) as caught:
        run(handler, GET_MODEL)
    assert len(seen) == 1
    assert not isinstance(caught.value, errors.UnreadableResponseError)
    assert not is_transient_error(caught.value)


def test_an_object_of_the_wrong_shape_is_a_typed_error_not_a_validation_error() -> None:
    handler, _ = answering(json.dumps({"name": "tunedModels/x", "tuningTask": "not an object"}))
    with pytest.raises(errors.InvalidResponseError, match="unexpected shape") as caught:
        run(handler, GET_MODEL)
    assert "tuningTask" in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_key_echoed_in_an_odd_body_is_redacted() -> None:
    handler, _ = answering(f"<html>bad key {KEY}</html>")
    with pytest.raises(errors.UnreadableResponseError) as caught:
        run(handler, GET_MODEL, max_attempts=1)
    assert KEY not in str(caught.value)


async def test_the_async_client_survives_bad_bodies_the_same_way() -> None:
    handler, seen = answering(PROXY_PAGE, "[]", "{}")
    async with AsyncRestClient(settings(), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(errors.InvalidResponseError, match="JSON list"):
            await client.execute(GET_MODEL)
        assert len(seen) == 2
        assert (await client.execute(GET_MODEL)).name is None


def test_a_stream_event_that_is_not_json_is_a_typed_error() -> None:
    handler, _ = answering('data: {"candidates": []}\n\ndata: <html>\n\n')
    call = ApiCall("POST", "models/m:streamGenerateContent", lambda d: d, params={"alt": "sse"})
    with RestClient(settings(), transport=httpx.MockTransport(handler)) as client:
        events = client.stream(call)
        assert next(events) == {"candidates": []}
        with pytest.raises(errors.UnreadableResponseError, match="HTML page"):
            next(events)


# --- credentials the token endpoint refuses ---------------------------------------------------


def untrusted_service_account(emulator: RunningEmulator) -> dict[str, Any]:
    """A well-formed key for a service account the emulator does not know."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "stranger-project",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "stranger@stranger-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": emulator.token_uri,
    }


def test_a_refused_service_account_is_an_authentication_error_naming_the_connection(
    emulator: RunningEmulator,
) -> None:
    info = untrusted_service_account(emulator)
    connection = SimpleNamespace(
        conn_id="tuning_sa",
        host=emulator.base_url,
        password=None,
        extra_dejson={"keyfile_dict": info},
    )
    with RestClient(ClientSettings.from_connection(connection, GEMINI_CONNECTION)) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            client.execute(ApiCall("GET", "tunedModels", lambda d: d))
    text = str(caught.value)
    assert isinstance(caught.value, errors.ConfigurationError)
    assert "connection 'tuning_sa'" in text
    assert "invalid_grant: Invalid grant: account not found" in text
    assert info["private_key"].splitlines()[1] not in text
    assert caught.value.__cause__ is None


async def test_the_async_client_reports_a_refused_service_account_the_same_way(
    emulator: RunningEmulator,
) -> None:
    settings = ClientSettings(
        base_url=emulator.base_url,
        api_version="v1beta",
        service_account_info=untrusted_service_account(emulator),
        source="connection 'tuning_sa'",
    )
    async with AsyncRestClient(settings) as client:
        with pytest.raises(errors.AuthenticationError, match="connection 'tuning_sa'"):
            await client.execute(ApiCall("GET", "tunedModels", lambda d: d))


# --- API keys that cannot travel in a header ---------------------------------------------------


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("AIzaSy-first-half\nsecond-half-0123", "line break (character 18)"),
        ("AIzaSy-clé-with-an-accent-0123456", "non-ASCII character (character 10)"),
        ("AIzaSy-with a-space-0123456789012", "space or control character (character 12)"),
    ],
)
def test_an_api_key_that_cannot_be_sent_is_refused_before_any_request(
    key: str, problem: str
) -> None:
    connection = SimpleNamespace(conn_id="gemini", host=None, password=key, extra_dejson={})
    with pytest.raises(errors.ConfigurationError) as caught:
        ClientSettings.from_connection(connection, GEMINI_CONNECTION)
    text = str(caught.value)
    assert text.startswith("connection 'gemini': the API key contains a ")
    assert problem in text
    for piece in key.split():
        assert piece not in text


def test_the_api_key_check_also_guards_direct_use_and_sends_nothing() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    with pytest.raises(errors.ConfigurationError, match="API key contains a line break"):
        RestClient(
            settings(),
            ApiKeyAuth("AIzaSy-abc\r\ndef-0123456789"),
            transport=httpx.MockTransport(handler),
        )
    assert seen == []
