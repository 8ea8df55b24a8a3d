"""Fixtures of the storage tests: an authorised client of the session's emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import google.auth.transport.requests
import httpx
import pytest
from google.oauth2 import service_account

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator

FULL_CONTROL = "https://www.googleapis.com/auth/devstorage.full_control"
READ_ONLY = "https://www.googleapis.com/auth/devstorage.read_only"
BUCKET = "datasets"


def access_token(emulator: RunningEmulator, scope: str = FULL_CONTROL) -> str:
    """An access token from the emulator's token endpoint for ``scope``."""
    credentials = service_account.Credentials.from_service_account_info(
        emulator.service_account_info(), scopes=[scope]
    )
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)


@pytest.fixture
def client_for(emulator: RunningEmulator) -> Iterator[Callable[[str], httpx.Client]]:
    """A factory of HTTP clients of the emulator holding a token for a scope."""
    clients: list[httpx.Client] = []

    def make(scope: str = FULL_CONTROL) -> httpx.Client:
        client = httpx.Client(
            base_url=emulator.base_url,
            headers={"authorization": f"Bearer {access_token(emulator, scope)}"},
            trust_env=False,
            timeout=60,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def gcs(client_for: Callable[[str], httpx.Client]) -> httpx.Client:
    """A client with full control of storage, and an empty bucket ``datasets``."""
    client = client_for(FULL_CONTROL)
    response = client.post("/storage/v1/b", params={"project": "demo"}, json={"name": BUCKET})
    assert response.status_code == 200, response.text
    return client


def upload(client: httpx.Client, name: str, data: bytes, content_type: str = "text/plain") -> dict:
    """A media upload into ``datasets``; the object resource."""
    response = client.post(
        f"/upload/storage/v1/b/{BUCKET}/o",
        params={"uploadType": "media", "name": name},
        content=data,
        headers={"content-type": content_type},
    )
    assert response.status_code == 200, response.text
    resource: dict = response.json()
    return resource


def assert_storage_error(response: httpx.Response, code: int, reason: str) -> str:
    """Assert Cloud Storage's error envelope; return its message."""
    assert response.status_code == code, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["errors"][0]["reason"] == reason
    assert error["errors"][0]["message"] == error["message"]
    assert error["message"]
    message: str = error["message"]
    return message
