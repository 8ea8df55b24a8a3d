"""What the Vertex AI end-to-end scenarios read and assert, apart from the scenarios themselves.

The pipeline is ``example_dags/vertex_tuning_pipeline.py``; its tuning jobs are found on the
emulator by their tuned model's display name, ``support router <ds>``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
from google.auth import jwt

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook

from .cluster import TERMINAL_RUN_STATES, AirflowCluster, Deferral, poll
from .proofs import (
    assert_single_successful_try,
    assert_task_log_shows_resume,
    assert_trigger_fired_in,
)

PIPELINE = "vertex_tuning_pipeline"
SMOKE_TEST = "vertex_tuning_smoke_test"
PIPELINE_TASKS = (
    "prepare_dataset",
    "to_vertex_format",
    "tune",
    "evaluate",
    "champion_challenger",
    "promote",
    "publish",
)
#: Only a model better than the champion goes on to these.
CHAMPION_TASKS = ("promote", "publish")
SMOKE_TEST_TASKS = ("champion_endpoint", "generate", "check")
TUNE, PUBLISH = "tune", "publish"
TRIGGER_CLASSPATH = "airflow_provider_tunedmodels.triggers.tuning_job.TuningJobTrigger"
CHAMPION_URI = "vertex-tuned-model://support-router-vertex/"
CANDIDATES_URI = "vertex-tuned-model://support-router-vertex-candidates/"
LINK_NAME = "Tuning job"
SUCCEEDED, CANCELLED = "JOB_STATE_SUCCEEDED", "JOB_STATE_CANCELLED"
#: How the hooks log a request they repeat: ``GET <url>: HTTP 503; attempt 1 of 5, ...``.
_RETRIED = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (\S+): HTTP (\d{3}); attempt \d+ of")
#: The audience of the self-signed JWT that reads a job the way Google's clients do.
VERTEX_AUDIENCE = "https://aiplatform.googleapis.com/"


# ---------------------------------------------------------------------------------- the emulator


def jobs_of_day(vertex: VertexTuningJobsHook, day: datetime) -> list[str]:
    """Every tuning job whose tuned model is named ``support router <ds>`` for ``day``."""
    display_name = f"support router {day:%Y-%m-%d}"
    return sorted(
        job.name or "?"
        for job in vertex.iter_tuning_jobs()
        if job.tuned_model_display_name == display_name
    )


def created_at(vertex: VertexTuningJobsHook) -> dict[str, datetime | None]:
    """Every tuning job on the emulator, with its creation time."""
    return {job.name or "?": job.create_time for job in vertex.iter_tuning_jobs()}


def wait_for_job_state(vertex: VertexTuningJobsHook, job_name: str, state: str) -> None:
    """Wait until the emulator reports ``state`` for the job."""
    poll(
        lambda: True if vertex.get_tuning_job(job_name).state_name == state else None,
        timeout=120,
        describe=f"{job_name} to be {state}",
    )


def read_as_google_client(emulator: RunningEmulator, url: str) -> dict[str, Any]:
    """GET ``url`` with a self-signed service-account JWT, as Google's own clients send it."""
    info = emulator.service_account_info()
    credentials = jwt.Credentials.from_service_account_info(info, audience=VERTEX_AUDIENCE)
    credentials.refresh(None)  # a self-signed JWT needs no token endpoint
    headers: dict[str, str] = {}
    credentials.apply(headers)
    with httpx.Client(trust_env=False) as client:
        answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# ---------------------------------------------------------------------------------- Airflow


def wait_until_no_pipeline_run_is_active(cluster: AirflowCluster) -> None:
    """Wait for every run of the pipeline (earlier scenarios' ones included) to finish."""

    def quiet() -> bool | None:
        states = [run["state"] for run in cluster.dag_runs(PIPELINE)]
        return True if all(state in TERMINAL_RUN_STATES for state in states) else None

    poll(quiet, timeout=240, interval=1.0, describe=f"every {PIPELINE} run to finish")


def task_states(cluster: AirflowCluster, dag_id: str, run_id: str) -> dict[str, str]:
    return {task: ti["state"] for task, ti in cluster.task_instances(dag_id, run_id).items()}


def assert_every_task_succeeded(
    cluster: AirflowCluster, dag_id: str, run_id: str, tasks: tuple[str, ...]
) -> None:
    states = task_states(cluster, dag_id, run_id)
    assert states == dict.fromkeys(tasks, "success"), states


def assert_the_champion_stayed(cluster: AirflowCluster, run_id: str) -> None:
    """The run tuned and evaluated, but its model was no better than the champion's.

    The emulator's models of one dataset answer alike, so after the first published champion
    ``champion_challenger`` short-circuits every later run: nothing promoted, nothing published.
    """
    expected = dict.fromkeys(PIPELINE_TASKS, "success") | dict.fromkeys(CHAMPION_TASKS, "skipped")
    states = task_states(cluster, PIPELINE, run_id)
    assert states == expected, states
    published = {e["uri"] for e in cluster.asset_events(source_run_id=run_id)}
    assert published == {CANDIDATES_URI}, "only the candidate, never a champion, was published"


def candidate_events(cluster: AirflowCluster, run_id: str) -> list[dict[str, Any]]:
    """The run's events on the candidates asset, which ``tune`` emits for its job, oldest first."""
    events = cluster.asset_events(source_run_id=run_id)
    return [e for e in events if e["uri"] == CANDIDATES_URI and e["source_task_id"] == TUNE]


def assert_resumed_through_triggerer(
    cluster: AirflowCluster, run_id: str, deferral: Deferral, *, fired_by: int, job: str
) -> None:
    """``tune`` deferred, its trigger fired in job ``fired_by``, and a worker resumed it."""
    assert deferral.trigger_classpath == TRIGGER_CLASSPATH
    fired_log = assert_trigger_fired_in(
        cluster, PIPELINE, run_id, TUNE, deferral, triggerer_job_id=fired_by
    )
    assert f"{job} is {SUCCEEDED}" in fired_log, "the trigger's event does not name the job"
    assert_single_successful_try(cluster, PIPELINE, run_id, TUNE)
    # ``execute_complete`` read the job the event named and returned its summary.
    resumed = cluster.xcom(PIPELINE, run_id, TUNE)
    assert (resumed["name"], resumed["state"]) == (job, SUCCEEDED)
    assert resumed["endpoint"], "the succeeded job has no endpoint"
    assert_task_log_shows_resume(cluster, PIPELINE, run_id, TUNE)


def smoke_test_run_created_by(cluster: AirflowCluster, event: dict[str, Any]) -> str:
    """Wait until the scheduler created a smoke-test run from ``event``; return its run id."""

    def created() -> str | None:
        for current in cluster.asset_events(source_run_id=event["source_run_id"]):
            runs = [r["run_id"] for r in current["created_dagruns"] if r["dag_id"] == SMOKE_TEST]
            if current["id"] == event["id"] and runs:
                return str(runs[0])
        return None

    return poll(created, timeout=120, interval=1.0, describe=f"a {SMOKE_TEST} run from the event")


def backfill_run_ids(cluster: AirflowCluster, days: list[datetime]) -> list[str]:
    """The successful backfill runs of ``days``, in date order."""
    runs = [
        run
        for run in cluster.dag_runs(PIPELINE, run_type="backfill")
        if days[0] <= datetime.fromisoformat(run["logical_date"]) <= days[-1]
    ]
    assert [datetime.fromisoformat(run["logical_date"]) for run in runs] == days
    assert [run["state"] for run in runs] == ["success"] * len(days), runs
    return [str(run["dag_run_id"]) for run in runs]


def retried_requests(log_text: str) -> list[tuple[str, str, str]]:
    """``(method, url, status)`` of every request a log shows repeated after an error status."""
    return [(method, url, status) for method, url, status in _RETRIED.findall(log_text)]
