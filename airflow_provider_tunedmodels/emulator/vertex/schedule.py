"""The simulated clock of a Vertex AI tuning job, and the quota that makes jobs wait.

A job is a schedule in units of its ``step_seconds`` (``s``), computed in
constant time whatever the epoch count, so nothing runs in the background and a
persisted job carries on after a restart:

========================  =====================================================
``[create, start)``       ``JOB_STATE_PENDING`` (at least ``s``; longer while
                          waiting for quota: ``TUNING_JOB_STATE_WAITING_FOR_QUOTA``)
``[start, start + s)``    ``RUNNING``, ``TUNING_JOB_STATE_PROCESSING_DATASET``
then one ``s`` per step   ``RUNNING``, ``TUNING_JOB_STATE_TUNING``; statistics
                          shown, checkpoints appear as their epochs complete
one more ``s``            ``RUNNING``, ``TUNING_JOB_STATE_POST_PROCESSING``
end                       ``SUCCEEDED`` (or ``FAILED`` when scripted so)
========================  =====================================================

A dataset failure ends the job when its dataset has been processed. An expiring
job never starts and ends ``EXPIRED`` :data:`EXPIRY_STEPS` steps after creation.
A cancel at ``t`` shows ``CANCELLING`` until ``t + s``, then ``CANCELLED``,
unless the job ends on its own first.

The quota (:func:`plan_starts`) lets a project run a limited number of jobs at
once; the others start, in creation order, as running ones end.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

from airflow_provider_tunedmodels.emulator.vertex.store import TuningJobRecord

__all__ = [
    "EXPIRY_STEPS",
    "MAX_CHECKPOINTS",
    "TERMINAL_STATES",
    "Checkpoint",
    "Snapshot",
    "Timeline",
    "checkpoints",
    "plan_starts",
    "snapshot",
    "timeline",
]

#: Steps after creation at which an expiring job ends.
EXPIRY_STEPS = 3
#: Evenly spaced checkpoints of a job with more epochs than this (plus none else).
MAX_CHECKPOINTS = 10
#: States in which a job has ended.
TERMINAL_STATES = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
)
_EPSILON = 1e-9
_FINAL_STATES = {
    "succeeded": "JOB_STATE_SUCCEEDED",
    "endpoint_failure": "JOB_STATE_FAILED",
    "dataset_failure": "JOB_STATE_FAILED",
    "expired": "JOB_STATE_EXPIRED",
}


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint a job exports (ids count from 1; the last is the final model)."""

    checkpoint_id: str
    epoch: int
    step: int


def checkpoints(job: TuningJobRecord) -> list[Checkpoint]:
    """The job's checkpoints: one per epoch, or about ten evenly spaced, or only the last."""
    epochs = job.epochs
    if job.export_last_only:
        chosen = [epochs]
    elif epochs <= MAX_CHECKPOINTS:
        chosen = list(range(1, epochs + 1))
    else:
        chosen = sorted({round(epochs * index / MAX_CHECKPOINTS) for index in range(1, 11)})
    return [
        Checkpoint(str(number), epoch, epoch * job.steps_per_epoch)
        for number, epoch in enumerate(chosen, start=1)
    ]


@dataclass(frozen=True)
class Timeline:
    """The moments of a job (``math.inf`` for what will not happen)."""

    ready: float  # earliest start
    data_ready: float  # dataset processed (inf if never started)
    training_end: float
    end: float
    final_state: str | None  # the state at ``end``


def timeline(job: TuningJobRecord) -> Timeline:
    """The job's moments, given its start (``None``: it never starts) and cancellation."""
    step = job.step_seconds
    ready = job.create_time + step
    data_ready = training_end = natural_end = math.inf
    natural_state: str | None = None
    if job.outcome == "expired":
        natural_end = job.create_time + EXPIRY_STEPS * step
        natural_state = "JOB_STATE_EXPIRED"
    elif job.start_time is not None:
        data_ready = job.start_time + step
        natural_state = _FINAL_STATES[job.outcome]
        if job.outcome == "dataset_failure":
            natural_end = data_ready
        else:
            training_end = data_ready + job.epochs * job.steps_per_epoch * step
            natural_end = training_end + step
    if job.cancel_time is not None and job.cancel_time + step <= natural_end + _EPSILON:
        return Timeline(
            ready, data_ready, training_end, job.cancel_time + step, "JOB_STATE_CANCELLED"
        )
    return Timeline(ready, data_ready, training_end, natural_end, natural_state)


@dataclass(frozen=True)
class Snapshot:
    """Where a job stands at one moment."""

    state: str
    sub_state: str | None
    started: bool
    stats_ready: bool
    completed_steps: int
    end_time: float | None
    update_time: float


def snapshot(job: TuningJobRecord, now: float) -> Snapshot:
    """The job at ``now``."""
    line = timeline(job)
    start = job.start_time
    ended = now + _EPSILON >= line.end
    moment = min(now, line.end)
    started = start is not None and moment + _EPSILON >= start
    completed = _completed_steps(job, line, moment) if started else 0
    stats_ready = (
        started and job.outcome != "dataset_failure" and moment + _EPSILON >= line.data_ready
    )
    if ended and line.final_state is not None:
        state, sub_state = line.final_state, None
    elif job.cancel_time is not None and now + _EPSILON >= job.cancel_time:
        state, sub_state = "JOB_STATE_CANCELLING", None
    elif not started:
        state, sub_state = "JOB_STATE_PENDING", _pending_sub_state(job, line)
    else:
        state, sub_state = "JOB_STATE_RUNNING", _running_sub_state(line, moment)
    events = [job.create_time, job.cancel_time or -math.inf]
    if started and start is not None:
        events += [start, line.data_ready, line.data_ready + completed * job.step_seconds]
        events.append(line.training_end)
    events.append(line.end)
    update_time = max(event for event in events if event <= moment + _EPSILON)
    end_time = line.end if ended else None
    return Snapshot(state, sub_state, started, stats_ready, completed, end_time, update_time)


def _completed_steps(job: TuningJobRecord, line: Timeline, moment: float) -> int:
    if job.outcome == "dataset_failure" or moment < line.data_ready:
        return 0
    total = job.epochs * job.steps_per_epoch
    done = math.floor((moment - line.data_ready) / job.step_seconds + _EPSILON)
    return max(0, min(total, done))


def _pending_sub_state(job: TuningJobRecord, line: Timeline) -> str | None:
    if job.outcome == "expired":
        return "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
    if job.start_time is not None and job.start_time > line.ready + _EPSILON:
        return "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
    return None


def _running_sub_state(line: Timeline, moment: float) -> str:
    if moment + _EPSILON < line.data_ready:
        return "TUNING_JOB_STATE_PROCESSING_DATASET"
    if moment + _EPSILON < line.training_end:
        return "TUNING_JOB_STATE_TUNING"
    return "TUNING_JOB_STATE_POST_PROCESSING"


def plan_starts(jobs: Iterable[TuningJobRecord], now: float, quota: int) -> None:
    """Give every job of one project its start under a quota of ``quota`` running jobs.

    Jobs start in creation order as soon as they are ready and a slot is free
    (``quota`` 0: no limit). Starts already in the past are kept; a job
    cancelled or expiring before it could start never starts.
    """
    slots: list[float] = []  # end times of the jobs holding a slot
    for job in sorted(jobs, key=lambda item: (item.create_time, item.job_id)):
        if job.outcome == "expired":
            job.start_time = None
            continue
        if job.start_time is not None and job.start_time <= now:
            start = job.start_time
        else:
            ready = job.create_time + job.step_seconds
            start = max(ready, slots[0]) if quota and len(slots) >= quota else ready
            if job.cancel_time is not None and job.cancel_time <= start:
                job.start_time = None
                continue
        job.start_time = start
        if quota and len(slots) >= quota:
            heapq.heappop(slots)
        heapq.heappush(slots, timeline(job).end)
