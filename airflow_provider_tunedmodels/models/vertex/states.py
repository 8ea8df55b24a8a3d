"""What a tuning job's state means for a pipeline: a closed map, and a progress line for logs.

Every state lands in exactly one of four outcomes, and anything not listed is
``unexpected`` -- never "still running" -- so a new or odd state fails loudly
instead of being waited on until a deadline:

=====================================================  ==============
state                                                  outcome
=====================================================  ==============
SUCCEEDED with ``tunedModel.endpoint``                 ``succeeded``
SUCCEEDED without an endpoint                          ``unexpected``
FAILED, CANCELLED, EXPIRED                             ``failed``
QUEUED, PENDING, RUNNING, CANCELLING                   ``running``
UNSPECIFIED, PAUSED, UPDATING, PARTIALLY_SUCCEEDED,    ``unexpected``
unknown numbers or names, no state at all
=====================================================  ==============

A SUCCEEDED job without an endpoint is not a success because nothing serves
the model: a job whose endpoint creation failed keeps ``tunedModel.model`` but
has no endpoint to generate with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from airflow_provider_tunedmodels.core.errors import RPC_CODE_NAMES
from airflow_provider_tunedmodels.models.vertex.tuning_job import JobState, TuningJob

__all__ = [
    "FAILED_STATES",
    "RUNNING_STATES",
    "JobOutcome",
    "JobVerdict",
    "classify_tuning_job",
    "describe_tuning_progress",
]

JobOutcome = Literal["running", "succeeded", "failed", "unexpected"]

#: States in which the job is still on its way (cancellation included).
RUNNING_STATES: frozenset[str] = frozenset(
    {
        JobState.JOB_STATE_QUEUED.value,
        JobState.JOB_STATE_PENDING.value,
        JobState.JOB_STATE_RUNNING.value,
        JobState.JOB_STATE_CANCELLING.value,
    }
)
#: Terminal states that mean the job did not produce a model.
FAILED_STATES: frozenset[str] = frozenset(
    {
        JobState.JOB_STATE_FAILED.value,
        JobState.JOB_STATE_CANCELLED.value,
        JobState.JOB_STATE_EXPIRED.value,
    }
)


@dataclass(frozen=True)
class JobVerdict:
    """One reading of a tuning job, reduced to what a pipeline acts on.

    :ivar outcome: ``running``, ``succeeded``, ``failed`` or ``unexpected``.
    :ivar state: the state's wire name (an unknown value as received; ``""`` if absent).
    :ivar reason: one readable line saying why this outcome.
    :ivar error_code: the job's ``error.code`` (``google.rpc.Code``), if it has one.
    :ivar error_message: the job's ``error.message``, if it has one.
    """

    outcome: JobOutcome
    state: str
    reason: str
    error_code: int | None = None
    error_message: str | None = None

    @property
    def finished(self) -> bool:
        """Whether polling should stop (every outcome but ``running``)."""
        return self.outcome != "running"

    @property
    def error_status(self) -> str | None:
        """The ``google.rpc.Code`` name of ``error_code``, e.g. ``INTERNAL``."""
        if self.error_code is None:
            return None
        return RPC_CODE_NAMES.get(self.error_code, str(self.error_code))


def classify_tuning_job(job: TuningJob) -> JobVerdict:
    """Map a job to its outcome; a pure function of the job, with no I/O."""
    state = job.state_name
    who = job.name or "the tuning job"
    if state == JobState.JOB_STATE_SUCCEEDED.value:
        if job.endpoint:
            return JobVerdict("succeeded", state, f"{who} succeeded; served by {job.endpoint}")
        model = job.tuned_model.model if job.tuned_model else None
        return JobVerdict(
            "unexpected",
            state,
            f"{who} reports {state} but no tuned model endpoint"
            + (f" (model {model})" if model else "")
            + "; nothing serves the tuned model, so it cannot be used as a success",
        )
    if state in FAILED_STATES:
        code = job.error.code if job.error else None
        message = job.error.message if job.error else None
        status = RPC_CODE_NAMES.get(code, str(code)) if code else None
        detail = f"{status}: {message or 'no message'}" if status else (message or "no error given")
        return JobVerdict("failed", state, f"{who} ended {state} ({detail})", code, message)
    if state in RUNNING_STATES:
        return JobVerdict("running", state, f"{who} is {state}")
    shown = state or "no state"
    return JobVerdict(
        "unexpected",
        state,
        f"{who} reports {shown}, which a tuning job is not expected to reach; "
        "look at the job in the Google Cloud console before retrying",
    )


def describe_tuning_progress(job: TuningJob) -> str:
    """A one-line progress report: state, sub-state, completed epochs and steps, checkpoints."""
    parts = [job.state_name or "no state"]
    if job.tuning_job_state is not None:
        parts.append(str(job.tuning_job_state))
    metadata = job.tuning_job_metadata
    if metadata is not None and metadata.completed_epoch_count is not None:
        parts.append(f"epoch {metadata.completed_epoch_count} done")
    if metadata is not None and metadata.completed_step_count is not None:
        parts.append(f"step {metadata.completed_step_count} done")
    checkpoints = len(job.checkpoints)
    if checkpoints:
        parts.append(f"{checkpoints} checkpoint{'s' if checkpoints != 1 else ''}")
    return ", ".join(parts)
