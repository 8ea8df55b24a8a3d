"""Helpers shared by the emulator's tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from airflow_provider_tunedmodels.emulator.router import MAX_BODY_BYTES

BASE_MODEL = "models/gemini-1.5-flash-001-tuning"


def examples(count: int, *, offset: int = 0) -> list[dict[str, str]]:
    """``count`` examples mapping ``"n"`` to ``"n + 1"``."""
    return [{"textInput": str(i), "output": str(i + 1)} for i in range(offset, offset + count)]


def create_body(
    count: int = 20,
    *,
    epochs: int | None = 1,
    batch: int | None = 4,
    learning_rate: float | None = None,
    example_list: list[dict[str, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A ``TunedModel`` body for ``tunedModels.create``."""
    hyper: dict[str, Any] = {}
    if epochs is not None:
        hyper["epochCount"] = epochs
    if batch is not None:
        hyper["batchSize"] = batch
    if learning_rate is not None:
        hyper["learningRate"] = learning_rate
    body: dict[str, Any] = {
        "baseModel": BASE_MODEL,
        "tuningTask": {
            "hyperparameters": hyper,
            "trainingData": {
                "examples": {
                    "examples": example_list if example_list is not None else examples(count)
                }
            },
        },
    }
    body.update(fields)
    return body


class Api:
    """An API-key client of the emulator for one user."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.http = httpx.Client(
            base_url=base_url,
            headers={"x-goog-api-key": api_key},
            trust_env=False,
            verify=False,
            timeout=30,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def create(self, body: dict[str, Any], model_id: str | None = None) -> dict[str, Any]:
        """Create a tuned model; return the operation (asserting success)."""
        params = {"tunedModelId": model_id} if model_id else None
        response = self.post("/v1beta/tunedModels", json=body, params=params)
        assert response.status_code == 200, response.text
        operation: dict[str, Any] = response.json()
        return operation

    def wait_done(self, operation_name: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll an operation (v1beta) until it is done."""
        deadline = time.monotonic() + timeout
        while True:
            operation: dict[str, Any] = self.get(f"/v1beta/{operation_name}").json()
            if operation.get("done"):
                return operation
            assert time.monotonic() < deadline, f"operation not done: {operation}"
            time.sleep(0.01)

    def tuned(self, body: dict[str, Any] | None = None, model_id: str | None = None) -> str:
        """Create a tuned model, wait until tuning ends and return its name."""
        operation = self.create(body or create_body(), model_id)
        done = self.wait_done(operation["name"])
        assert "response" in done, done
        return str(operation["metadata"]["tunedModel"])


def assert_error(
    response: httpx.Response, code: int, status: str, message: str | None = None
) -> dict[str, Any]:
    """Assert the Google error envelope; return its ``error`` object."""
    assert response.status_code == code, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    if message is not None:
        assert message in error["message"], error["message"]
    return error


def oversized_body(field: str) -> Iterator[bytes]:
    """A JSON body, ``{field: "xxx..."}``, one MiB beyond the emulator's limit, in chunks."""
    yield b'{"' + field.encode() + b'": "'
    chunk = b"x" * (1024 * 1024)
    for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
        yield chunk
    yield b'"}'
