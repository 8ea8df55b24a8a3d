"""P2: worker-slot seconds per tuning job, deferred to the triggerer vs waiting on the worker.

Runs ``CreateTunedModelOperator`` against the emulator (in a child process)
twice per round for a tuning job of about ``--job-seconds``: once deferrable,
timing what runs on a worker (``execute`` until it defers, then
``execute_complete`` after the trigger fired; the trigger itself runs in between,
as the triggerer would), and once blocking (``execute`` polls until the job
ends). The blocking wait is the anchor. Both run in one warmed-up process: the
start-up of each task run on a real worker (twice for a deferred task) and its
first imports are not included in either figure.

    .venv/bin/python benchmarks/worker_slots.py [--job-seconds 5] [--rounds 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from _common import BASE_MODEL, Figure, emit, median

CONNECTION_ENV = "AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT"
#: Steps of the benchmark's tuning job: ceil(20 examples * 5 epochs / batch size 4).
JOB_STEPS = 25
#: Seconds between polls, in the trigger and on the worker alike.
POLL_INTERVAL = 0.2
GOAL = "<= 0.10"


def task_context() -> dict[str, Any]:
    """The parts of an Airflow task context the operator reads."""
    ti = SimpleNamespace(xcom_push=lambda key, value: None, map_index=-1)
    return {
        "ti": ti,
        "run_id": "benchmark",
        "logical_date": datetime.now(timezone.utc),
        "outlet_events": defaultdict(SimpleNamespace),
    }


def operator(tuned_model_id: str, *, deferrable: bool) -> Any:
    from airflow_provider_tunedmodels.operators.tuned_model import CreateTunedModelOperator

    return CreateTunedModelOperator(
        task_id=f"tune_{tuned_model_id.replace('-', '_')}",
        training_data=[
            {"text_input": f"question {i}", "output": f"answer {i % 5}"} for i in range(20)
        ],
        base_model=BASE_MODEL,
        tuned_model_id=tuned_model_id,
        hyperparameters={"epochCount": 5, "batchSize": 4},
        deferrable=deferrable,
        poll_interval=POLL_INTERVAL,
    )


async def first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event
    raise RuntimeError("the trigger ended without an event")


def deferred_job(tuned_model_id: str) -> tuple[float, float]:
    """Worker seconds and wall seconds of one deferred tuning job."""
    from airflow_provider_tunedmodels._compat import TaskDeferred

    task = operator(tuned_model_id, deferrable=True)
    context = task_context()
    started = time.perf_counter()
    try:
        task.execute(context)
    except TaskDeferred as deferred:
        worker = time.perf_counter() - started
        event = asyncio.run(first_event(deferred.trigger))
        resumed = time.perf_counter()
        result = task.execute_complete(context, event.payload, **(deferred.kwargs or {}))
        worker += time.perf_counter() - resumed
    else:
        raise RuntimeError("the operator did not defer")
    if result.get("state") != "ACTIVE":
        raise RuntimeError(f"tuning did not succeed: {result.get('state')}")
    return worker, time.perf_counter() - started


def blocking_job(tuned_model_id: str) -> float:
    """Worker seconds of one tuning job waited for on the worker."""
    task = operator(tuned_model_id, deferrable=False)
    started = time.perf_counter()
    result = task.execute(task_context())
    if result.get("state") != "ACTIVE":
        raise RuntimeError(f"tuning did not succeed: {result.get('state')}")
    return time.perf_counter() - started


def warm_up() -> None:
    """Import what a task run imports and make one call, so that no round pays for it."""
    import airflow_provider_tunedmodels.triggers.tuned_model  # noqa: F401

    operator("warm-up", deferrable=True).hook.list_tuned_models(page_size=1)


def measure(job_seconds: float, rounds: int) -> list[Figure]:
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    deferred: list[float] = []
    wall: list[float] = []
    blocking: list[float] = []
    with run_emulator(step_seconds=job_seconds / JOB_STEPS, subprocess=True) as emulator:
        os.environ[CONNECTION_ENV] = json.dumps(
            {
                "conn_type": "gemini_tuned_models",
                "host": emulator.base_url,
                "password": emulator.api_key,
            }
        )
        warm_up()
        for number in range(rounds):
            worker, elapsed = deferred_job(f"slots-deferred-{number}")
            deferred.append(worker)
            wall.append(elapsed)
            blocking.append(blocking_job(f"slots-blocking-{number}"))
    return [
        Figure(
            "worker-slot seconds per tuning job, deferred",
            median(deferred),
            median(blocking),
            "s",
            "blocking wait on the worker",
            GOAL,
            note=f"job of {median(wall):.1f} s end to end; median of {rounds} round(s)",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one round of a 2 s job")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="worker-slots-"))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    job_seconds, rounds = (2.0, 1) if args.quick else (args.job_seconds, args.rounds)

    emit("P2 worker slots per tuning job", measure(job_seconds, rounds), args.json)


if __name__ == "__main__":
    main()
