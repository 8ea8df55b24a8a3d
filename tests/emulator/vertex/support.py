"""Helpers of the Vertex AI emulator tests: an OAuth client, datasets and request bodies."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from google.auth import crypt
from google.auth import jwt as google_jwt

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
PROJECT = "demo-project"
LOCATION = "us-central1"
TRAIN_URI = "gs://tuning-data/train.jsonl"
BASE_MODEL = "gemini-2.5-flash"


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def count_tokens(text: str) -> int:
    """The token rule the emulator and the provider agree on, written out again here."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def turn(role: str | None, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"parts": [{"text": text}]}
    if role is not None:
        content["role"] = role
    return content


def supervised_lines(count: int, *, offset: int = 0) -> list[dict[str, Any]]:
    """``count`` examples mapping ``question i`` to ``answer to i``."""
    return [
        {"contents": [turn("user", f"question {i}"), turn("model", f"answer to {i}")]}
        for i in range(offset, offset + count)
    ]


def preference_lines(count: int) -> list[dict[str, Any]]:
    return [
        {
            "contents": [turn("user", f"prompt {i}")],
            "completions": [
                {"score": 1, "completion": turn("model", f"preferred {i}")},
                {"score": 0, "completion": turn("model", f"rejected {i}")},
            ],
        }
        for i in range(count)
    ]


def jsonl(lines: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def job_body(uri: str = TRAIN_URI, *, epochs: int | None = 2, **fields: Any) -> dict[str, Any]:
    """A supervised ``TuningJob`` body."""
    spec: dict[str, Any] = {"trainingDatasetUri": uri}
    if epochs is not None:
        spec["hyperParameters"] = {"epochCount": epochs}
    body: dict[str, Any] = {"baseModel": BASE_MODEL, "supervisedTuningSpec": spec}
    body.update(fields)
    return body


def service_account_key(email: str) -> dict[str, str]:
    """A service-account key JSON (made locally: generating keys is slow, so tests share one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "client_email": email,
        "private_key_id": "test-key-1",
        "private_key": pem,
        "public_key_pem": public.decode(),
    }


def issue_token(http: httpx.Client, key: dict[str, str], scope: str, now: float) -> str:
    """An access token from the emulator's token endpoint (JWT-bearer grant) for ``key``."""
    trusted = http.post(
        "/_emulator/serviceAccounts",
        json={
            "email": key["client_email"],
            "privateKeyId": key["private_key_id"],
            "publicKeyPem": key["public_key_pem"],
        },
    )
    assert trusted.status_code == 200, trusted.text
    signer = crypt.RSASigner.from_service_account_info(key)
    claims = {
        "iss": key["client_email"],
        "scope": scope,
        "aud": f"{http.base_url}/token",
        "iat": int(now),
        "exp": int(now) + 3600,
    }
    assertion = google_jwt.encode(signer, claims).decode()
    form = urlencode(
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    )
    answer = http.post(
        "/token", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


class Vertex:
    """Calls the emulator's Vertex AI routes with a bearer token."""

    def __init__(self, http: httpx.Client, token: str, clock: FakeClock | None = None) -> None:
        self.http = http
        self.headers = {"authorization": f"Bearer {token}"}
        self.clock = clock

    def parent(self, version: str = "v1", project: str = PROJECT, location: str = LOCATION) -> str:
        return f"/{version}/projects/{project}/locations/{location}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call and assert HTTP 200 (every success of the API)."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def put_object(self, uri: str, text: str) -> None:
        answer = self.http.put("/_emulator/objects", json={"uri": uri, "text": text})
        assert answer.status_code == 200, answer.text

    def create(self, body: dict[str, Any], version: str = "v1", **kwargs: Any) -> dict[str, Any]:
        job: dict[str, Any] = self.ok(
            "POST", f"{self.parent(version)}/tuningJobs", json=body, **kwargs
        )
        return job

    def get(self, name: str, version: str = "v1") -> dict[str, Any]:
        job: dict[str, Any] = self.ok("GET", f"/{version}/{name}")
        return job

    def advance(self, steps: float) -> None:
        """Move the fake clock by ``steps`` tuning steps of one second."""
        assert self.clock is not None
        self.clock.advance(steps)

    def wait(
        self, name: str, done: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        """Poll ``name`` (on the real clock) until ``done`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(name)
            if done(job):
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.01)


def ended(job: dict[str, Any]) -> bool:
    return job["state"] in (
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
    )


def assert_error(
    response: httpx.Response, code: int, status: str, message: str | None = None
) -> dict[str, Any]:
    """Assert the Google error envelope; return its ``error`` object."""
    assert response.status_code == code, response.text
    error: dict[str, Any] = response.json()["error"]
    assert (error["code"], error["status"]) == (code, status)
    if message is not None:
        assert message in error["message"], error["message"]
    return error
