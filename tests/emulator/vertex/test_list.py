"""``tuningJobs.list``: filters, paging, newest first."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.wire import format_timestamp
from tests.emulator.vertex.support import FakeClock, Vertex, assert_error, job_body


def _list(vertex: Vertex, **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = vertex.ok("GET", f"{vertex.parent()}/tuningJobs", params=params)
    return answer


def _names(answer: dict[str, Any]) -> list[str]:
    return [job["name"] for job in answer.get("tuningJobs", [])]


@pytest.fixture
def jobs(vertex: Vertex) -> dict[str, str]:
    """Four jobs, oldest first: done (nlp), running (nlp, prod), plain (running), vision (waiting)."""
    names = {"done": vertex.create(job_body(labels={"team": "nlp"}))["name"]}
    vertex.advance(7)
    names["running"] = vertex.create(job_body(labels={"team": "nlp", "env": "prod"}, epochs=50))[
        "name"
    ]
    vertex.advance(1)
    names["plain"] = vertex.create(job_body(epochs=50))["name"]
    vertex.advance(1)
    names["vision"] = vertex.create(job_body(labels={"team": "vision"}))["name"]
    return names


def test_an_empty_list_is_an_empty_object(vertex: Vertex) -> None:
    assert _list(vertex) == {}


def test_newest_first_and_paging(vertex: Vertex, jobs: dict[str, str]) -> None:
    everything = _names(_list(vertex))
    assert everything == [jobs["vision"], jobs["plain"], jobs["running"], jobs["done"]]
    seen: list[str] = []
    token = None
    while True:
        params = {"pageSize": 3} if token is None else {"pageSize": 3, "pageToken": token}
        page = _list(vertex, **params)
        seen += _names(page)
        token = page.get("nextPageToken")
        if token is None:
            break
    assert seen == everything
    assert _names(_list(vertex, pageSize=5000)) == everything


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("state=JOB_STATE_SUCCEEDED", ["done"]),
        ('state="JOB_STATE_RUNNING"', ["plain", "running"]),
        ("state!=JOB_STATE_PENDING", ["plain", "running", "done"]),
        ('labels.team="nlp"', ["running", "done"]),
        ("labels.team=nlp AND state=JOB_STATE_RUNNING", ["running"]),
        ("labels.env:*", ["running"]),
        ('labels.team!="nlp"', ["vision", "plain"]),
    ],
)
def test_filters(vertex: Vertex, jobs: dict[str, str], raw: str, expected: list[str]) -> None:
    assert _names(_list(vertex, filter=raw)) == [jobs[key] for key in expected]


def test_create_time_filters(vertex: Vertex, clock: FakeClock, jobs: dict[str, str]) -> None:
    between = format_timestamp(clock() - 6)  # after "done", before the others
    assert _names(_list(vertex, filter=f"createTime<{between}")) == [jobs["done"]]
    newer = _names(_list(vertex, filter=f'create_time>"{between}" AND labels.team:*'))
    assert newer == [jobs["vision"], jobs["running"]]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("display_name=x", "unsupported field 'display_name'"),
        ("state=DONE", "unknown state 'DONE'"),
        ("state>JOB_STATE_RUNNING", "state supports = and !="),
        ("create_time>yesterday", "is not an RFC 3339 timestamp"),
        ("just words", "expected FIELD OPERATOR VALUE"),
    ],
)
def test_invalid_filters(vertex: Vertex, raw: str, message: str) -> None:
    response = vertex.call("GET", f"{vertex.parent()}/tuningJobs", params={"filter": raw})
    assert_error(response, 400, "INVALID_ARGUMENT", message)


def test_page_tokens_belong_to_their_query(vertex: Vertex, jobs: dict[str, str]) -> None:
    token = _list(vertex, pageSize=1)["nextPageToken"]
    path = f"{vertex.parent()}/tuningJobs"
    other = vertex.call(
        "GET", path, params={"pageToken": token, "filter": "state=JOB_STATE_RUNNING"}
    )
    assert_error(other, 400, "INVALID_ARGUMENT", "page token does not match")
    assert_error(vertex.call("GET", path, params={"pageToken": "garbage"}), 400, "INVALID_ARGUMENT")
    assert_error(vertex.call("GET", path, params={"pageSize": -1}), 400, "INVALID_ARGUMENT")
