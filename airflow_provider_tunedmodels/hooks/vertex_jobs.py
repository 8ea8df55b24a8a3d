"""The Vertex AI backend's side of the seam, and waiting for a tuning job.

A Vertex tuning job is named ``projects/{p}/locations/{l}/tuningJobs/{id}``; the
job is also its own result (it names the tuned model and the endpoint serving
it). Its state maps to an outcome through the closed table of
:mod:`~airflow_provider_tunedmodels.models.vertex.states`: an unknown state, or a
SUCCEEDED job without an endpoint, is ``unexpected``, never "keep waiting".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import OperationTimeoutError
from airflow_provider_tunedmodels.core.polling import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    PollPolicy,
    PollResult,
    apoll,
    poll,
)
from airflow_provider_tunedmodels.hooks.base import JobStatus
from airflow_provider_tunedmodels.hooks.vertex_connection import DEFAULT_LOCATION, vertex_host
from airflow_provider_tunedmodels.models.vertex.names import parse_tuning_job_name
from airflow_provider_tunedmodels.models.vertex.states import (
    classify_tuning_job,
    describe_tuning_progress,
)
from airflow_provider_tunedmodels.models.vertex.tuning_job import JobState, TuningJob
from airflow_provider_tunedmodels.tuning_policy import is_transient_error

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.core.settings import ClientSettings

__all__ = [
    "CONSOLE_URL",
    "VertexJobsMixin",
    "job_for_status",
    "job_status",
    "tuning_job_asset_extra",
]

#: The Cloud console page of a tuning job.
CONSOLE_URL = (
    "https://console.cloud.google.com/vertex-ai/generative/language/locations/{location}"
    "/tuning/tuningJob/{job}?project={project}"
)

log = logging.getLogger(__name__)

T = TypeVar("T")

ProgressCallback = Callable[[TuningJob], Any]

#: The fields of a tuning job that :func:`job_status` reads, in both spellings the model takes.
STATUS_FIELDS = frozenset(
    {
        "name",
        "state",
        "tuningJobState",
        "tuning_job_state",
        "tuningJobMetadata",
        "tuning_job_metadata",
        "tunedModel",
        "tuned_model",
        "error",
        "startTime",
        "start_time",
    }
)


def job_for_status(data: Mapping[str, Any] | None) -> TuningJob:
    """The job as a status reading sees it: only :data:`STATUS_FIELDS` are parsed.

    A triggerer polls many jobs every few seconds; the dataset statistics, specs and
    evaluation runs of a running job would cost each poll three to four times as
    much to parse, and no status reads them.
    """
    fields = {key: value for key, value in (data or {}).items() if key in STATUS_FIELDS}
    return TuningJob.model_validate(fields)


def _status_call(name: str) -> ApiCall[TuningJob]:
    return ApiCall("GET", str(parse_tuning_job_name(name)), job_for_status)


def job_status(job: TuningJob, job_name: str) -> JobStatus:
    """A job reading in the seam's terms (the job is both what is polled and the result)."""
    verdict = classify_tuning_job(job)
    name = job.name or job_name
    progress = describe_tuning_progress(job)
    if verdict.outcome == "unexpected":
        progress = f"{progress}; {verdict.reason}"
    error = None
    if verdict.outcome == "failed":
        error = {
            "code": verdict.error_code,
            "status": verdict.error_status,
            "message": verdict.error_message or verdict.reason,
        }
    started = job.start_time.timestamp() if job.start_time is not None else None
    return JobStatus(
        verdict.outcome, name, name, verdict.state or None, progress, error, started_at=started
    )


def tuning_job_asset_extra(job: TuningJob, *, reused: bool) -> dict[str, Any]:
    """The JSON-safe ``extra`` of a ``vertex-tuned-model://`` asset event for a finished job.

    ``default_checkpoint_id`` is the checkpoint deployed to the job's endpoint, when the
    job reports checkpoints; ``evaluation`` holds the server-side evaluation runs, if any.
    """
    tuned = job.tuned_model
    default = next((c for c in job.checkpoints if c.endpoint and c.endpoint == job.endpoint), None)
    wire = job.to_wire()
    return {
        "tuning_job": job.name,
        "tuned_model": tuned.model if tuned else None,
        "endpoint": job.endpoint,
        "default_checkpoint_id": default.checkpoint_id if default else None,
        "state": job.state_name or None,
        "base_model": job.base_model
        or (job.pre_tuned_model.tuned_model_name if job.pre_tuned_model else None),
        "display_name": job.tuned_model_display_name,
        "evaluation": wire.get("evaluateDatasetRuns"),
        "reused": reused,
    }


class VertexJobsMixin:
    """Waiting for a job, and the seam methods of
    :class:`~airflow_provider_tunedmodels.hooks.vertex_ai.VertexTuningJobsHook`."""

    if TYPE_CHECKING:

        @property
        def settings(self) -> ClientSettings: ...

        def get_tuning_job(self, name: str) -> TuningJob: ...

        async def aget_tuning_job(self, name: str) -> TuningJob: ...

        def cancel_tuning_job(self, name: str) -> None: ...

        async def acancel_tuning_job(self, name: str) -> None: ...

        def _job_name(self, name: str) -> str: ...

        async def _ajob_name(self, name: str) -> str: ...

        def _run(self, call: ApiCall[T]) -> T: ...

        async def _arun(self, call: ApiCall[T]) -> T: ...

    def wait_for_tuning_job(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        end_time: float | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_progress: ProgressCallback | None = None,
    ) -> TuningJob:
        """Poll until the job is finished -- succeeded, failed or unexpected -- and return it.

        Read the outcome with
        :func:`~airflow_provider_tunedmodels.models.vertex.states.classify_tuning_job`.
        Transient errors (429, 5xx, network) are tolerated up to a bound.

        :param timeout: seconds to wait from now.
        :param end_time: a wall-clock deadline (seconds since the epoch) instead of ``timeout``.
        :param on_progress: called with every reading; by default a progress line is logged.
        :raises OperationTimeoutError: not finished in time (the job keeps running).
        """
        policy, limit = _policy(timeout, end_time, poll_interval)
        result = poll(
            lambda: self.get_tuning_job(name),
            finished=_finished,
            policy=policy,
            is_transient=is_transient_error,
            on_poll=on_progress or _log_progress,
        )
        return _finished_job(result, name, limit)

    async def await_for_tuning_job(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        end_time: float | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_progress: ProgressCallback | None = None,
    ) -> TuningJob:
        """Async :meth:`wait_for_tuning_job`."""
        policy, limit = _policy(timeout, end_time, poll_interval)
        result = await apoll(
            lambda: self.aget_tuning_job(name),
            finished=_finished,
            policy=policy,
            is_transient=is_transient_error,
            on_poll=on_progress or _log_progress,
        )
        return _finished_job(result, name, limit)

    # --- the seam ------------------------------------------------------------------------------

    def read_job_status(self, job_name: str) -> JobStatus:
        """Read the job once (its status fields only) and map its state through the closed table."""
        return job_status(self._run(_status_call(self._job_name(job_name))), job_name)

    async def aread_job_status(self, job_name: str) -> JobStatus:
        """Async :meth:`read_job_status`."""
        call = _status_call(await self._ajob_name(job_name))
        return job_status(await self._arun(call), job_name)

    def cancel_job(self, job_name: str) -> str:
        """Cancel the job if it is still on its way; a finished job is left alone."""
        job = self.get_tuning_job(job_name)
        reason = _nothing_to_cancel(job)
        if reason:
            return reason
        self.cancel_tuning_job(job.name or job_name)
        return _cancel_requested(job)

    async def acancel_job(self, job_name: str) -> str:
        """Async :meth:`cancel_job`."""
        job = await self.aget_tuning_job(job_name)
        reason = _nothing_to_cancel(job)
        if reason:
            return reason
        await self.acancel_tuning_job(job.name or job_name)
        return _cancel_requested(job)

    def job_result(self, result_name: str) -> dict[str, Any]:
        """The tuning job, in wire format (it names the tuned model and its endpoint)."""
        return self.get_tuning_job(result_name).to_wire()

    def job_url(self, job_name: str) -> str:
        """The job's Cloud console page; with a base URL of its own, the job's REST resource."""
        settings = self.settings
        name = parse_tuning_job_name(self._job_name(job_name))
        if settings.root_url != vertex_host(settings.location or DEFAULT_LOCATION):
            return f"{settings.root_url}/{settings.api_version}/{name}"
        return CONSOLE_URL.format(
            location=quote(name.location, safe=""),
            job=quote(name.tuning_job, safe=""),
            project=quote(name.project, safe=""),
        )

    def asset_event_extra(self, result: Mapping[str, Any], *, reused: bool) -> dict[str, Any]:
        """The ``vertex-tuned-model://`` asset event's extra (see :func:`tuning_job_asset_extra`)."""
        return tuning_job_asset_extra(TuningJob.model_validate(dict(result)), reused=reused)


def _finished(job: TuningJob) -> bool:
    return classify_tuning_job(job).finished


def _policy(
    timeout: float, end_time: float | None, poll_interval: float
) -> tuple[PollPolicy, float]:
    now = time.time()
    deadline = end_time if end_time is not None else now + timeout
    return PollPolicy(interval=poll_interval, end_time=deadline), max(0.0, deadline - now)


def _finished_job(result: PollResult[TuningJob], name: str, limit: float) -> TuningJob:
    if result.timed_out or result.value is None:
        raise OperationTimeoutError(name, limit)
    return result.value


def _log_progress(job: TuningJob) -> None:
    log.info("%s: %s", job.name, describe_tuning_progress(job))


def _nothing_to_cancel(job: TuningJob) -> str | None:
    state = job.state_name or "in no state"
    if state == JobState.JOB_STATE_CANCELLING.value:
        return f"{job.name} is already being cancelled."
    if classify_tuning_job(job).outcome != "running":
        return f"{job.name} is {state}; nothing to cancel."
    return None


def _cancel_requested(job: TuningJob) -> str:
    return (
        f"Asked Vertex AI to cancel {job.name} (it was {job.state_name}); cancelling is best "
        "effort, so the job may still finish."
    )
