"""Re-attaching to a tuning job instead of starting a duplicate.

Vertex AI has no client-chosen job id and no request id, so a create that is
repeated -- by a task retry, or after an answer lost on the network -- starts
(and bills) a second job. Instead, a create made for a *run key* (a string that
names one logical run, e.g. DAG, task and run id) carries two labels:

``airflow_run_key``
    a label-safe hash of the run key; listing jobs filtered on it finds the job.
``airflow_request_fingerprint``
    a hash of the canonical request, so a caller can tell whether the job found
    was started with the same request.

Both are hashes: the run key itself may hold characters labels do not allow,
and labels are visible to everyone who can list jobs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_tunedmodels.core.errors import (
    ApiError,
    DeadlineExceededError,
    InvalidArgumentError,
    InvalidRequestError,
    TransportError,
    TunedModelsError,
)
from airflow_provider_tunedmodels.core.paging import aiter_items, iter_items
from airflow_provider_tunedmodels.models.vertex.limits import MAX_LABELS
from airflow_provider_tunedmodels.models.vertex.tuning_job import (
    ListTuningJobsResponse,
    TuningJob,
)

__all__ = [
    "FINGERPRINT_LABEL",
    "RUN_KEY_LABEL",
    "FoundTuningJob",
    "afind_by_run_key",
    "find_by_run_key",
    "is_ambiguous_failure",
    "label_request",
    "newest_match",
    "reattached",
    "recovered",
    "request_fingerprint",
    "run_key_filter",
    "run_key_label_value",
]

log = logging.getLogger(__name__)

#: One page of ``tuningJobs.list``: called with ``(filter, page_token)``.
ListPage = Callable[[str | None, str | None], ListTuningJobsResponse]
#: Async twin of :data:`ListPage`.
AsyncListPage = Callable[[str | None, str | None], Awaitable[ListTuningJobsResponse]]

#: Label holding the hash of the run key a job was created for.
RUN_KEY_LABEL = "airflow_run_key"
#: Label holding the hash of the create request (without these two labels).
FINGERPRINT_LABEL = "airflow_request_fingerprint"
_RESERVED = (RUN_KEY_LABEL, FINGERPRINT_LABEL)
# Hex digits kept of each SHA-256 (128 bits: collisions are not a practical concern).
_HASH_LENGTH = 32


@dataclass(frozen=True)
class FoundTuningJob:
    """A job found by its run key.

    :ivar fingerprint_matches: whether it was created with the same request as the
        one compared against; ``None`` when no request was given to compare.
    """

    job: TuningJob
    fingerprint_matches: bool | None


def run_key_label_value(run_key: str) -> str:
    """The label value for ``run_key``: lowercase hex, so always label-safe."""
    if not run_key or not run_key.strip():
        raise InvalidRequestError("run key", ["run_key: empty; give a string naming the run"])
    return _sha256(run_key.encode("utf-8"))


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """A hash of a create body's canonical JSON, ignoring the two re-attach labels."""
    labels = {k: v for k, v in (body.get("labels") or {}).items() if k not in _RESERVED}
    canonical = {k: v for k, v in body.items() if k != "labels"}
    if labels:
        canonical["labels"] = labels
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _sha256(text.encode("utf-8"))


def label_request(body: Mapping[str, Any], run_key: str) -> dict[str, Any]:
    """A copy of ``body`` carrying the run-key and fingerprint labels."""
    labels = dict(body.get("labels") or {})
    taken = [k for k in _RESERVED if k in labels]
    problems = [f"labels.{k}: reserved for re-attaching to a job; remove it" for k in taken]
    if len(labels) + len(_RESERVED) > MAX_LABELS:
        problems.append(
            f"labels: {len(labels)} labels leave no room for the {len(_RESERVED)} this hook adds "
            f"with a run key (at most {MAX_LABELS} in all)"
        )
    if problems:
        raise InvalidRequestError("the tuning job to create", problems)
    labels[RUN_KEY_LABEL] = run_key_label_value(run_key)
    labels[FINGERPRINT_LABEL] = request_fingerprint(body)
    return {**body, "labels": labels}


def run_key_filter(run_key: str) -> str:
    """The ``tuningJobs.list`` filter that selects the jobs of ``run_key``."""
    return f'labels.{RUN_KEY_LABEL}="{run_key_label_value(run_key)}"'


def newest_match(
    jobs: Iterable[TuningJob], run_key: str, body: Mapping[str, Any] | None
) -> FoundTuningJob | None:
    """The newest of ``jobs`` labelled with ``run_key`` (checked here, whatever the server
    filtered), and whether its fingerprint matches ``body``."""
    value = run_key_label_value(run_key)
    matches = [job for job in jobs if (job.labels or {}).get(RUN_KEY_LABEL) == value]
    if not matches:
        return None
    newest = max(matches, key=_created)
    if body is None:
        return FoundTuningJob(newest, None)
    label = (newest.labels or {}).get(FINGERPRINT_LABEL)
    return FoundTuningJob(newest, label == request_fingerprint(body))


def is_ambiguous_failure(exc: BaseException) -> bool:
    """Whether a create that raised ``exc`` may have started a job all the same.

    The request may have reached the server when the network failed after sending,
    the server answered 5xx or 408, or it ran out of time.
    """
    if isinstance(exc, (TransportError, DeadlineExceededError)):
        return True
    return isinstance(exc, ApiError) and (exc.http_status >= 500 or exc.http_status == 408)


def find_by_run_key(
    list_page: ListPage, run_key: str, body: Mapping[str, Any] | None
) -> FoundTuningJob | None:
    """List the jobs labelled with ``run_key``; if the server refuses the label filter,
    scan every job instead."""
    try:
        return newest_match(_jobs(list_page, run_key_filter(run_key)), run_key, body)
    except InvalidArgumentError:
        log.info("The server refused the label filter; scanning every tuning job instead.")
        return newest_match(_jobs(list_page, None), run_key, body)


async def afind_by_run_key(
    list_page: AsyncListPage, run_key: str, body: Mapping[str, Any] | None
) -> FoundTuningJob | None:
    """Async :func:`find_by_run_key`."""
    try:
        jobs = [job async for job in _ajobs(list_page, run_key_filter(run_key))]
    except InvalidArgumentError:
        log.info("The server refused the label filter; scanning every tuning job instead.")
        jobs = [job async for job in _ajobs(list_page, None)]
    return newest_match(jobs, run_key, body)


class RunKeyConflictError(TunedModelsError):
    """The run key already has a job, created from a different request.

    Adopting it would use a model tuned from other data or settings; starting another
    would bill a second job for the same run. The caller decides: pass
    ``replacing=<that job>`` to start anew (after cancelling it), or use another run key.
    """

    def __init__(self, job_name: str) -> None:
        super().__init__(
            f"{job_name} was created for this run key from a different request (its "
            f"{FINGERPRINT_LABEL} label differs), so it is not adopted and no second job is "
            "started. Cancel it and create with replacing=<its name>, or use another run key."
        )
        self.job_name = job_name


def reattached(found: FoundTuningJob) -> TuningJob:
    """The job found before creating; says in the log that no second job is started.

    :raises RunKeyConflictError: the job was created from a different request.
    """
    if found.fingerprint_matches is False:
        raise RunKeyConflictError(str(found.job.name))
    log.info("Re-attaching to %s, created earlier for this run key.", found.job.name)
    return found.job


def recovered(
    exc: TunedModelsError, found: FoundTuningJob | None, replacing: str | None = None
) -> TuningJob:
    """After a create that may or may not have started a job: that job, or ``exc`` raised.

    The job being replaced (``replacing``) is not the one the lost create started.
    """
    if found is not None and found.job.name == replacing:
        found = None
    if found is None:
        log.warning(
            "The create failed (%s) and no job carries its run key, so none was started as "
            "far as listing shows; a retry of the task looks it up again before creating.",
            type(exc).__name__,
        )
        raise exc
    log.warning(
        "The create's answer was lost (%s), but it did start %s; using that job.",
        type(exc).__name__,
        found.job.name,
    )
    return found.job


def _jobs(list_page: ListPage, filter: str | None) -> Iterator[TuningJob]:
    return iter_items(lambda token: list_page(filter, token))


def _ajobs(list_page: AsyncListPage, filter: str | None) -> AsyncIterator[TuningJob]:
    return aiter_items(lambda token: list_page(filter, token))


def _created(job: TuningJob) -> datetime:
    return job.create_time or datetime.min.replace(tzinfo=timezone.utc)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:_HASH_LENGTH]
