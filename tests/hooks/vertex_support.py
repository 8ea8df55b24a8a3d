"""Shared pieces of the Vertex AI hook tests: a service-account key and its token endpoint."""

from __future__ import annotations

import functools
from typing import Any

import httpx
import respx

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.vertex_connection import VERTEX_SCOPES, vertex_host

PROJECT = "tuning-proj"
LOCATION = "us-central1"
HOST = vertex_host(LOCATION)
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
TOKEN_URI = "https://oauth2.test/token"
ACCESS_TOKEN = "ya29.unit-test-access-token"


@functools.cache
def service_account_info() -> dict[str, Any]:
    """A freshly generated service-account key (generated once per test session)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": f"tuner@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": TOKEN_URI,
    }


def vertex_test_settings(**overrides: Any) -> ClientSettings:
    """Settings as a connection in ``us-central1`` with a service-account key would give."""
    values: dict[str, Any] = {
        "base_url": HOST,
        "api_version": "v1",
        "service_account_info": service_account_info(),
        "scopes": VERTEX_SCOPES,
        "project": PROJECT,
        "location": LOCATION,
        "retry": RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
        **overrides,
    }
    return ClientSettings(**values)


def mock_token_endpoint(router: respx.MockRouter | Any = respx) -> respx.Route:
    """Answer the OAuth token exchange of :func:`service_account_info`."""
    return router.post(TOKEN_URI).mock(
        return_value=httpx.Response(
            200, json={"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        )
    )
