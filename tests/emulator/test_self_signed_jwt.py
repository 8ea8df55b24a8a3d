"""Self-signed service-account JWTs as bearer tokens (what google-cloud-aiplatform sends).

google-auth signs them itself (``always_use_jwt_access``) with ``iss`` = ``sub``
= the service account and either a ``scope`` claim or a Google API audience, and
never calls a token endpoint. The emulator accepts them when a trusted key signed
them and the claims follow Google's rules; anything else, however malformed, is
``401``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.auth import jwt as google_jwt
from google.auth.crypt import RSASigner
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.auth import Authenticator
from airflow_provider_tunedmodels.emulator.errors import ApiError
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.emulator.support import assert_error

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
NAN_CLAIMS = b'{"iss": NaN, "iat": NaN, "exp": Infinity}'
AIPLATFORM = "https://aiplatform.googleapis.com/"
TUNED_MODELS = "/v1beta/tunedModels"


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, trust_env=False) as client:
        yield client


def _bearer(token: str | bytes) -> dict[str, str]:
    text = token.decode() if isinstance(token, bytes) else token
    return {"authorization": f"Bearer {text}"}


def _sign(info: dict[str, Any], **claims: Any) -> str:
    """A self-signed JWT with the claims google-auth writes, overridden by ``claims``."""
    now = int(time.time())
    payload = {
        "iss": info["client_email"],
        "sub": info["client_email"],
        "iat": now,
        "exp": now + 3600,
        "aud": AIPLATFORM,
        **claims,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return google_jwt.encode(RSASigner.from_service_account_info(info), payload).decode()


def _segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _refused(http: httpx.Client, token: str, reason: str = "ACCESS_TOKEN_TYPE_UNSUPPORTED") -> None:
    error = assert_error(http.get(TUNED_MODELS, headers=_bearer(token)), 401, "UNAUTHENTICATED")
    assert error["details"][0]["reason"] == reason


def test_google_auth_self_signed_jwt_with_scopes(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    info = emulator.service_account_info()
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM], always_use_jwt_access=True
    )
    credentials.refresh(google.auth.transport.requests.Request())
    claims = google_jwt.decode(credentials.token, verify=False)
    assert claims["iss"] == claims["sub"] == info["client_email"]
    assert claims["scope"] == CLOUD_PLATFORM
    operation = http.post(
        TUNED_MODELS,
        json={
            "baseModel": "models/gemini-1.5-flash-001-tuning",
            "tuningTask": {
                "trainingData": {"examples": {"examples": [{"textInput": "1", "output": "2"}]}}
            },
        },
        headers=_bearer(credentials.token),
    )
    assert operation.status_code == 200, operation.text
    model = operation.json()["metadata"]["tunedModel"]
    owner = http.get(f"/v1beta/{model}/permissions", headers=_bearer(credentials.token))
    assert owner.json()["permissions"][0]["emailAddress"] == info["client_email"]


def test_aiplatform_style_audience_token(emulator: RunningEmulator, http: httpx.Client) -> None:
    # What google-api-core's transports do for aiplatform: a self-signed JWT for the
    # service's root URL, sent straight to the API.
    credentials = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), always_use_jwt_access=True
    )
    credentials._create_self_signed_jwt(AIPLATFORM)
    credentials.refresh(google.auth.transport.requests.Request())
    assert google_jwt.decode(credentials.token, verify=False)["aud"] == AIPLATFORM
    assert http.get(TUNED_MODELS, headers=_bearer(credentials.token)).status_code == 200
    plain = google_jwt.Credentials.from_service_account_info(
        emulator.service_account_info(), audience=AIPLATFORM
    )
    plain.refresh(google.auth.transport.requests.Request())
    assert http.get(TUNED_MODELS, headers=_bearer(plain.token)).status_code == 200
    storage = http.get("/storage/v1/b", params={"project": "p"}, headers=_bearer(credentials.token))
    assert storage.status_code == 200


def test_audiences_that_are_not_a_google_api_root_are_refused(
    emulator: RunningEmulator, http: httpx.Client
) -> None:
    info = emulator.service_account_info()
    for audience in (
        "https://example.com/",
        emulator.token_uri,
        "https://oauth2.googleapis.com/token",
        "http://aiplatform.googleapis.com/",
        ["https://aiplatform.googleapis.com/"],
    ):
        _refused(http, _sign(info, aud=audience, scope=CLOUD_PLATFORM))
    _refused(http, _sign(info, aud=None))  # neither an audience nor a scope
    assert (
        http.get(
            TUNED_MODELS, headers=_bearer(_sign(info, aud=None, scope=CLOUD_PLATFORM))
        ).status_code
        == 200
    )


def test_claims_must_follow_the_rules(emulator: RunningEmulator, http: httpx.Client) -> None:
    info = emulator.service_account_info()
    now = int(time.time())
    assert http.get(TUNED_MODELS, headers=_bearer(_sign(info))).status_code == 200
    _refused(http, _sign(info, sub="someone-else@example.com"))
    _refused(http, _sign(info, sub=None))
    _refused(http, _sign(info, iat=now, exp=now + 3601))  # longer than an hour
    _refused(http, _sign(info, iat=now + 3600, exp=now + 4000))  # issued in the future
    _refused(http, _sign(info, exp=None))
    _refused(http, _sign(info, exp="tomorrow"))
    _refused(http, _sign(info, exp=True))
    _refused(http, _sign(info, iat=now, exp=now))  # over before it starts
    _refused(http, _sign(info, scope=["a", "b"]))
    _refused(http, _sign(info, scope=" "))
    _refused(http, _sign(info, iat=now - 3000, exp=now - 100), reason="ACCESS_TOKEN_EXPIRED")


def test_signatures_are_checked(emulator: RunningEmulator, http: httpx.Client) -> None:
    info = emulator.service_account_info()
    header, payload, signature = _sign(info).split(".")
    stranger = {**info, "client_email": "mallory@evil.iam.gserviceaccount.com"}
    forged_claims = _segment(json.loads(base64.urlsafe_b64decode(payload + "==")) | {"scope": "x"})
    _refused(http, f"{header}.{forged_claims}.{signature}")
    _refused(http, _sign(stranger, iss=stranger["client_email"], sub=stranger["client_email"]))
    unsigned = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}."
    _refused(http, unsigned)
    other_key = emulator.service_account_info("other@emulator-project.iam.gserviceaccount.com")
    signed_by_other = _sign(other_key, iss=info["client_email"], sub=info["client_email"])
    _refused(http, signed_by_other)


def test_hostile_tokens_are_401_not_500(emulator: RunningEmulator, http: httpx.Client) -> None:
    info = emulator.service_account_info()
    header, payload, signature = _sign(info).split(".")
    nested = _segment(b"[" * 5000 + b"]" * 5000)
    hostile = [
        "a.b.c",
        "!!!.@@@.###",
        f"{header}.{payload}",
        f"{nested}.{payload}.{signature}",
        f"{header}.{nested}.{signature}",
        f"{_segment([1, 2])}.{payload}.{signature}",
        f"{header}.{_segment('claims')}.{signature}",
        f"{_segment(b'not json')}.{payload}.{signature}",
        f"{header}.{_segment(NAN_CLAIMS)}.{signature}",
        f"{header}.{payload}.{'A' * 9000}",
        f"{_segment({'alg': 'RS256', 'kid': ['list']})}.{payload}.{signature}",
        f"{header}.{payload}.{signature}x",
    ]
    for token in hostile:
        _refused(http, token)
    response = http.post(
        "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": f"{nested}.{payload}.{signature}",
        },
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_authenticator_never_raises_anything_but_401_for_a_bearer() -> None:
    auth = Authenticator({})
    huge = "x" * 1_000_000
    deep = _segment(b"{" + b'"a":{' * 50_000 + b"}" * 50_001)
    nan_times = f"{_segment({'alg': 'RS256'})}.{_segment(NAN_CLAIMS)}.AA"
    for token in (
        huge,
        f"{huge}.{huge}.{huge}",
        f"{deep}.{deep}.AA",
        nan_times,
        "\u00e9.\u00e9.\u00e9",
    ):
        with pytest.raises(ApiError) as raised:
            auth.identify({"authorization": f"Bearer {token}"}, {})
        assert raised.value.http_status == 401
