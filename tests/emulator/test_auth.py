"""Authentication: API keys, the token endpoint, bearer tokens, identities."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.auth import exceptions as auth_exceptions
from google.auth import jwt as google_jwt
from google.auth.crypt import RSASigner
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from tests.emulator.support import Api, assert_error, create_body

TUNING_SCOPE = "https://www.googleapis.com/auth/generative-language.tuning"
SA_EMAIL = "tuner@emulator-project.iam.gserviceaccount.com"


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, trust_env=False, verify=False) as client:
        yield client


def _credentials(
    info: dict[str, Any], scopes: list[str] | None = None
) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_info(
        info, scopes=scopes or [TUNING_SCOPE]
    )


def _token(credentials: service_account.Credentials) -> str:
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


def test_missing_credentials(http: httpx.Client) -> None:
    error = assert_error(http.get("/v1beta/tunedModels"), 403, "PERMISSION_DENIED")
    assert error["message"].startswith("Method doesn't allow unregistered callers")


def test_invalid_api_key(http: httpx.Client) -> None:
    for response in (
        http.get("/v1beta/tunedModels", headers={"x-goog-api-key": "wrong"}),
        http.get("/v1beta/tunedModels", params={"key": "wrong"}),
    ):
        error = assert_error(
            response, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
        )
        assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
        assert error["details"][0]["reason"] == "API_KEY_INVALID"


def test_api_key_in_header_or_query(emulator: RunningEmulator, http: httpx.Client) -> None:
    assert (
        http.get("/v1beta/tunedModels", headers={"x-goog-api-key": emulator.api_key}).status_code
        == 200
    )
    assert http.get("/v1beta/tunedModels", params={"key": emulator.api_key}).status_code == 200
    assert http.get("/v1beta/models", params={"key": emulator.api_key}).status_code == 200


def test_service_account_token_and_identity(emulator: RunningEmulator, http: httpx.Client) -> None:
    info = emulator.service_account_info()
    assert info["type"] == "service_account"
    assert info["client_email"] == SA_EMAIL
    assert info["token_uri"] == emulator.token_uri == f"{emulator.base_url}/token"
    assert emulator.service_account_info() == info
    credentials = _credentials(info)
    token = _token(credentials)
    assert credentials.expiry is not None
    headers = {"authorization": f"Bearer {token}"}
    operation = http.post("/v1beta/tunedModels", json=create_body(2), headers=headers).json()
    model = operation["metadata"]["tunedModel"]
    owner = http.get(f"/v1beta/{model}/permissions", headers=headers).json()["permissions"][0]
    assert owner["emailAddress"] == SA_EMAIL
    owned = http.get("/v1beta/tunedModels", params={"filter": "owner:me"}, headers=headers).json()
    assert [m["name"] for m in owned["tunedModels"]] == [model]
    by_key = http.get("/v1beta/tunedModels", headers={"x-goog-api-key": emulator.api_key}).json()
    assert by_key == {}


def test_authorized_session_of_google_auth(emulator: RunningEmulator) -> None:
    session = google.auth.transport.requests.AuthorizedSession(
        _credentials(emulator.service_account_info())
    )
    session.trust_env = False
    response = session.get(f"{emulator.base_url}/v1beta/models/gemini-1.5-flash-001-tuning")
    assert response.status_code == 200
    assert response.json()["name"] == "models/gemini-1.5-flash-001-tuning"


def test_self_signed_jwt_is_accepted_as_bearer(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    info = emulator.service_account_info()
    credentials = google_jwt.Credentials.from_service_account_info(
        info, audience="https://generativelanguage.googleapis.com/"
    )
    credentials.refresh(google.auth.transport.requests.Request())
    token = (
        credentials.token.decode() if isinstance(credentials.token, bytes) else credentials.token
    )
    assert (
        http.get("/v1beta/tunedModels", headers={"authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_short_token_lifetime_forces_refresh_and_expired_tokens_are_refused() -> None:
    with (
        run_emulator(token_lifetime=0.05) as emulator,
        httpx.Client(base_url=emulator.base_url, trust_env=False, verify=False) as http,
    ):
        credentials = _credentials(emulator.service_account_info())
        first = _token(credentials)
        assert not credentials.valid  # below google-auth's refresh threshold: refresh every time
        second = _token(credentials)
        assert first != second
        time.sleep(0.1)
        response = http.get("/v1beta/tunedModels", headers={"authorization": f"Bearer {second}"})
        error = assert_error(
            response, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
        )
        assert error["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_bearer_token(http: httpx.Client) -> None:
    response = http.get("/v1beta/tunedModels", headers={"authorization": "Bearer ya29.made-up"})
    error = assert_error(response, 401, "UNAUTHENTICATED")
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"


def test_insufficient_scopes(emulator: RunningEmulator, http: httpx.Client) -> None:
    readonly = _credentials(
        emulator.service_account_info(),
        ["https://www.googleapis.com/auth/generative-language.tuning.readonly"],
    )
    headers = {"authorization": f"Bearer {_token(readonly)}"}
    assert http.get("/v1beta/tunedModels", headers=headers).status_code == 200
    error = assert_error(
        http.post("/v1beta/tunedModels", json=create_body(2), headers=headers),
        403,
        "PERMISSION_DENIED",
    )
    assert error["message"] == "Request had insufficient authentication scopes."
    assert error["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    other = _credentials(emulator.service_account_info(), ["https://www.googleapis.com/auth/drive"])
    response = http.get("/v1beta/tunedModels", headers={"authorization": f"Bearer {_token(other)}"})
    assert_error(response, 403, "PERMISSION_DENIED")


def _signed_assertion(info: dict[str, Any], **claims: Any) -> str:
    signer = RSASigner.from_service_account_info(info)
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "aud": info["token_uri"],
        "iat": now,
        "exp": now + 3600,
        "scope": TUNING_SCOPE,
        **claims,
    }
    return google_jwt.encode(signer, payload).decode()


def _token_request(http: httpx.Client, **form: str) -> httpx.Response:
    return http.post("/token", data=form)


def test_token_endpoint_errors(emulator: RunningEmulator, http: httpx.Client) -> None:
    info = emulator.service_account_info()
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

    def error_of(response: httpx.Response) -> tuple[int, str, str]:
        body = response.json()
        return response.status_code, body["error"], body["error_description"]

    assert error_of(_token_request(http, grant_type="password"))[:2] == (
        400,
        "unsupported_grant_type",
    )
    assert error_of(_token_request(http, grant_type=grant))[:2] == (400, "invalid_request")
    assert error_of(_token_request(http, grant_type=grant, assertion="a.b.c"))[:2] == (
        400,
        "invalid_grant",
    )
    good = _signed_assertion(info)
    header, payload, signature = good.split(".")
    forged_payload = (
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    **json.loads(base64.urlsafe_b64decode(payload + "==")),
                    "iss": "evil@x.iam.gserviceaccount.com",
                }
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    forged = f"{header}.{forged_payload}.{signature}"
    assert error_of(_token_request(http, grant_type=grant, assertion=forged)) == (
        400,
        "invalid_grant",
        "Invalid JWT Signature.",
    )
    expired = _signed_assertion(info, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    assert "short-lived" in error_of(_token_request(http, grant_type=grant, assertion=expired))[2]
    wrong_audience = _signed_assertion(info, aud="https://example.com/other")
    assert (
        "audience" in error_of(_token_request(http, grant_type=grant, assertion=wrong_audience))[2]
    )
    no_scope = _signed_assertion(info, scope="")
    assert error_of(_token_request(http, grant_type=grant, assertion=no_scope))[:2] == (
        400,
        "invalid_scope",
    )
    ok = _token_request(http, grant_type=grant, assertion=good)
    assert ok.status_code == 200
    assert set(ok.json()) == {"access_token", "expires_in", "token_type"}
    assert ok.json()["token_type"] == "Bearer"
    assert ok.json()["expires_in"] == 3600


def test_unknown_service_account_is_refused_by_google_auth(emulator: RunningEmulator) -> None:
    info = emulator.service_account_info()
    stranger = {
        **info,
        "private_key_id": "0" * 40,
        "client_email": "nobody@x.iam.gserviceaccount.com",
    }
    with pytest.raises(auth_exceptions.RefreshError, match="invalid_grant"):
        _token(_credentials(stranger))


def test_several_api_keys_map_to_several_users(emulator: RunningEmulator, api: Api) -> None:
    alice = Api(emulator.base_url, emulator.add_api_key("alice@example.com", key="alice-key"))
    try:
        model = alice.tuned(create_body(2))
        assert_error(api.get(f"/v1beta/{model}"), 403, "PERMISSION_DENIED")
        owner = alice.get(f"/v1beta/{model}/permissions").json()["permissions"][0]
        assert owner["emailAddress"] == "alice@example.com"
    finally:
        alice.close()
