"""Vertex AI takes OAuth bearer tokens with the cloud-platform scope, nothing else."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.emulator.vertex.support import FakeClock, Vertex, assert_error, issue_token

JOBS = "/v1/projects/demo-project/locations/us-central1/tuningJobs"


def test_no_credentials(http: TestClient) -> None:
    error = assert_error(http.get(JOBS), 401, "UNAUTHENTICATED", "missing required authentication")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert error["details"][0]["metadata"]["service"] == "aiplatform.googleapis.com"


def test_api_keys_are_refused(http: TestClient) -> None:
    key = http.post("/_emulator/apiKeys", json={"email": "dev@example.com"}).json()["key"]
    for response in (
        http.get(JOBS, params={"key": key}),
        http.get(JOBS, headers={"x-goog-api-key": key}),
    ):
        assert_error(response, 401, "UNAUTHENTICATED", "API keys are not supported by this API")


def test_unknown_tokens_and_the_wrong_scope(
    http: TestClient, clock: FakeClock, tuner_key: dict[str, str]
) -> None:
    assert_error(http.get(JOBS, headers={"authorization": "Bearer nope"}), 401, "UNAUTHENTICATED")
    gemini_only = issue_token(
        http, tuner_key, "https://www.googleapis.com/auth/generative-language.tuning", clock()
    )
    assert_error(
        http.get(JOBS, headers={"authorization": f"Bearer {gemini_only}"}),
        403,
        "PERMISSION_DENIED",
        "insufficient authentication scopes",
    )
    read_only = issue_token(
        http, tuner_key, "https://www.googleapis.com/auth/cloud-platform.read-only", clock()
    )
    client = Vertex(http, read_only)
    assert client.ok("GET", JOBS) == {}
    assert_error(client.call("POST", JOBS, json={}), 403, "PERMISSION_DENIED")
