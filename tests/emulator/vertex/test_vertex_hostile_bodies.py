"""Vertex AI and Cloud Storage routes refuse a request body beyond the emulator's limit."""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.router import MAX_BODY_BYTES
from tests.emulator.support import oversized_body

from .support import Vertex

MESSAGE = f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."


def test_an_oversized_tuning_job_is_invalid_argument(vertex: Vertex) -> None:
    response = vertex.call(
        "POST", f"{vertex.parent()}/tuningJobs", content=oversized_body("baseModel")
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["status"], error["message"]) == ("INVALID_ARGUMENT", MESSAGE)
    assert vertex.call("GET", f"{vertex.parent()}/tuningJobs").status_code == 200


def test_oversized_storage_metadata_is_refused_in_the_storage_error_shape(vertex: Vertex) -> None:
    response = vertex.call(
        "POST",
        "/storage/v1/b",
        params={"project": "p"},
        content=b"".join(oversized_body("baseModel")),
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == MESSAGE
    assert response.json()["error"]["errors"][0]["reason"] == "invalid"
