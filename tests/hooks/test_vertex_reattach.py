"""Run-key and fingerprint labels: what makes a lost or repeated create re-attach."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import (
    InvalidArgumentError,
    InvalidRequestError,
    ServerError,
    TransportError,
    UnavailableError,
)
from airflow_provider_tunedmodels.hooks.vertex_reattach import (
    FINGERPRINT_LABEL,
    RUN_KEY_LABEL,
    is_ambiguous_failure,
    label_request,
    newest_match,
    request_fingerprint,
    run_key_filter,
    run_key_label_value,
)
from airflow_provider_tunedmodels.models.vertex import TuningJob
from airflow_provider_tunedmodels.models.vertex.rules import label_problems

BODY: dict[str, Any] = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {"trainingDatasetUri": "gs://bkt/train.jsonl"},
    "labels": {"team": "support"},
}


def test_run_key_label_is_a_label_safe_stable_hash() -> None:
    value = run_key_label_value(
        "dag=Support Router/task=tune/run=manual__2025-01-01T00:00:00+00:00"
    )
    assert value == run_key_label_value(
        "dag=Support Router/task=tune/run=manual__2025-01-01T00:00:00+00:00"
    )
    assert value != run_key_label_value("another run")
    assert len(value) == 32
    assert label_problems({RUN_KEY_LABEL: value, FINGERPRINT_LABEL: value}) == []
    assert run_key_filter("r") == f'labels.airflow_run_key="{run_key_label_value("r")}"'
    with pytest.raises(InvalidRequestError, match="run_key: empty"):
        run_key_label_value("  ")


def test_fingerprint_ignores_key_order_and_the_reattach_labels() -> None:
    labelled = label_request(BODY, "run-1")
    assert labelled["labels"]["team"] == "support"
    assert labelled["labels"][RUN_KEY_LABEL] == run_key_label_value("run-1")
    reordered = dict(reversed(list(BODY.items())))
    assert request_fingerprint(reordered) == request_fingerprint(BODY)
    assert request_fingerprint(labelled) == request_fingerprint(BODY)
    assert labelled["labels"][FINGERPRINT_LABEL] == request_fingerprint(BODY)
    changed = {**BODY, "baseModel": "gemini-2.5-pro"}
    assert request_fingerprint(changed) != request_fingerprint(BODY)
    assert RUN_KEY_LABEL not in BODY["labels"]  # the caller's body is left unchanged


def test_reserved_labels_and_a_full_label_set_are_refused() -> None:
    with pytest.raises(InvalidRequestError) as exc:
        label_request({**BODY, "labels": {RUN_KEY_LABEL: "x"}}, "run")
    assert exc.value.problems == [
        f"labels.{RUN_KEY_LABEL}: reserved for re-attaching to a job; remove it"
    ]
    with pytest.raises(InvalidRequestError, match="leave no room"):
        label_request({**BODY, "labels": {f"k{i}": "v" for i in range(63)}}, "run")


def job(name: str, created: str, labels: dict[str, str]) -> TuningJob:
    return TuningJob.model_validate({"name": name, "createTime": created, "labels": labels})


def test_newest_match_checks_labels_itself_and_compares_fingerprints() -> None:
    labels = label_request(BODY, "run-1")["labels"]
    jobs = [
        job("old", "2025-01-01T00:00:00Z", labels),
        job("new", "2025-01-02T00:00:00Z", labels),
        job("other", "2025-01-03T00:00:00Z", {RUN_KEY_LABEL: run_key_label_value("run-2")}),
        job("unlabelled", "2025-01-04T00:00:00Z", {}),
    ]
    found = newest_match(jobs, "run-1", BODY)
    assert found is not None
    assert found.job.name == "new"
    assert found.fingerprint_matches is True
    different = newest_match(jobs, "run-1", {**BODY, "description": "changed"})
    assert different is not None
    assert different.fingerprint_matches is False
    unknown = newest_match(jobs, "run-1", None)
    assert unknown is not None
    assert unknown.fingerprint_matches is None
    assert newest_match(jobs, "run-3", BODY) is None


def api_error(cls: type[Any], status: int) -> Any:
    return cls(http_status=status, status="X", message="m")


def test_which_create_failures_are_ambiguous() -> None:
    assert is_ambiguous_failure(TransportError("ReadTimeout", method="POST", url="u", attempts=1))
    assert is_ambiguous_failure(api_error(ServerError, 500))
    assert is_ambiguous_failure(api_error(UnavailableError, 503))
    assert not is_ambiguous_failure(api_error(InvalidArgumentError, 400))
    assert not is_ambiguous_failure(ValueError("x"))
