"""End-to-end runs of the Vertex AI example pipeline on real Airflow components.

The scenarios where the executor matters (a triggered run whose ``tune`` defers to the
triggerer and is resumed by a worker; the triggerer killed mid-job) run on both topologies (see
``conftest.py``); the others (backfill and rerun, injected API faults, a killed deferred task
that cancels its job) run on the local one only. Each topology gets one cluster, which parses
``vertex_tuning_pipeline``, ``vertex_tuning_smoke_test`` (with the examples' ``data/``) and
``dags/vertex_cancel_on_kill_dag.py``, and one emulator process on loopback, serving Vertex AI
and Cloud Storage, that the default ``vertex_ai_tuning`` connection points at.

Only a model better than the champion is published, and the emulator's models of one dataset
answer alike, so only the pipeline's first run publishes a champion. That first run is the
triggered-run scenario: it is triggered, while the DAG is still paused, for the logical date the
first scheduled run would have had, so unpausing starts no scheduled run (the scheduler skips a
date that already has a run) and nothing competes with it. Every later run keeps the champion.

A tuning job has 66 steps (332 examples, 3 epochs of 21 batches, plus pending, dataset and
post-processing steps) of ``STEP_SECONDS``, so ``tune`` stays deferred for about 10 s: a trigger
that fires right after the deferral can get the resumed task failed by the scheduler
(apache/airflow#72716, see ``README.md``).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook

from .cluster import TRIGGERER, AirflowCluster, Topology
from .proofs import TRIGGER_FIRED, assert_ran_on_the_topologys_workers
from .vertex_pipeline import (
    CANCELLED,
    CANDIDATES_URI,
    CHAMPION_URI,
    LINK_NAME,
    PIPELINE,
    PIPELINE_TASKS,
    PUBLISH,
    SMOKE_TEST,
    SMOKE_TEST_TASKS,
    SUCCEEDED,
    TUNE,
    assert_every_task_succeeded,
    assert_resumed_through_triggerer,
    assert_the_champion_stayed,
    backfill_run_ids,
    candidate_events,
    created_at,
    jobs_of_day,
    read_as_google_client,
    retried_requests,
    smoke_test_run_created_by,
    wait_for_job_state,
    wait_until_no_pipeline_run_is_active,
)

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
PIPELINE_FILES = ("vertex_tuning_pipeline.py", "vertex_tuning_smoke_test.py")
CANCEL_DAG_FILE = Path(__file__).parent / "dags" / "vertex_cancel_on_kill_dag.py"
CANCEL_DAG = "e2e_vertex_cancel_on_kill"
CANCEL_DATASET = "gs://e2e-tuning-data/cancel-on-kill/train.jsonl"
PROJECT, LOCATION = "emulator-project", "us-central1"
STAGING_PREFIX = "gs://support-tuning-data/router/"

#: Wall time of one tuning step (see the module's docstring).
STEP_SECONDS = 0.15
#: Longer than ``tune``'s poll interval (2 s): a live triggerer would have fired by then.
NO_TRIGGERER_GRACE_SECONDS = 5
#: About 20% of the Vertex AI and Cloud Storage requests fail, answered 503 or 429; and the
#: run's first Cloud Storage request (whether its staged dataset exists) fails once for sure,
#: since a run makes few of them.
FAULTS = [
    FaultRule("503", rate=1.0, route="storage.objects.get", count=1),
    *(
        FaultRule(kind, rate=0.1, route=route, retry_after=0.2)
        for route in ("projects.locations.*", "storage.*")
        for kind in ("503", "429")
    ),
]
FAULT_SEED = 20250303


def _day(month: int, day: int) -> datetime:
    return datetime(2025, month, day, tzinfo=timezone.utc)


KILLED_TRIGGERER_DAY = _day(3, 2)
FAULTS_DAY = _day(3, 3)
BACKFILL_DAYS = [_day(1, 1), _day(1, 2), _day(1, 3)]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]


@dataclass(frozen=True)
class FirstRun:
    """The pipeline's first run: the only one that publishes a champion."""

    run_id: str
    day: datetime


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def emulator(topology: Topology) -> Iterator[RunningEmulator]:
    """One emulator process per topology, so one cluster never re-attaches to the other's jobs."""
    with run_emulator(
        step_seconds=STEP_SECONDS, subprocess=True, concurrent_tuning_jobs=0
    ) as running:
        running.put_object(f"{STAGING_PREFIX}README", "staged datasets")  # the bucket exists
        yield running


@pytest.fixture(scope="module")
def cluster_dags_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Vertex example DAGs with their ``data/``, and the cancel-on-kill DAG."""
    folder = tmp_path_factory.mktemp("vertex-dags") / "dags"
    shutil.copytree(EXAMPLE_DAGS / "data", folder / "data")
    for name in PIPELINE_FILES:
        shutil.copyfile(EXAMPLE_DAGS / name, folder / name)
    shutil.copyfile(CANCEL_DAG_FILE, folder / CANCEL_DAG_FILE.name)
    return folder


@pytest.fixture(scope="module")
def cluster_extra_env(
    emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The default connection on the emulator, the staging prefix and a work folder."""
    connection = {
        "conn_type": "vertex_ai_tuning",
        "host": emulator.base_url,
        "extra": {
            "project": PROJECT,
            "location": LOCATION,
            "keyfile_dict": json.dumps(emulator.service_account_info()),
        },
    }
    return {
        "AIRFLOW_CONN_VERTEX_AI_TUNING_DEFAULT": json.dumps(connection),
        "VERTEX_STAGING_PREFIX": STAGING_PREFIX,
        "VERTEX_PIPELINE_DIR": str(tmp_path_factory.mktemp("vertex-pipeline-files")),
    }


@pytest.fixture(scope="module")
def first_run(airflow_cluster: AirflowCluster) -> FirstRun:
    """Trigger the pipeline's first run for its first scheduled date, then unpause it."""
    for dag_id in (SMOKE_TEST, CANCEL_DAG):
        airflow_cluster.wait_for_dag(dag_id)  # fails on any import error in the folder
    next_date = airflow_cluster.wait_for_dag(PIPELINE)["next_dagrun_logical_date"]
    assert next_date, f"{PIPELINE} has no next scheduled date"
    day = datetime.fromisoformat(next_date)
    # Asset events only queue runs of DAGs that are unpaused when the event is emitted.
    airflow_cluster.set_paused(SMOKE_TEST, paused=False)
    run_id = airflow_cluster.trigger_dag_run(PIPELINE, logical_date=day)
    airflow_cluster.set_paused(PIPELINE, paused=False)
    return FirstRun(run_id, day)


@pytest.fixture(scope="module")
def cluster(airflow_cluster: AirflowCluster, first_run: FirstRun) -> AirflowCluster:
    """The module's cluster once the first run has published the champion."""
    state = airflow_cluster.wait_for_dag_run(PIPELINE, first_run.run_id, timeout=300)
    states = airflow_cluster.task_instances(PIPELINE, first_run.run_id)
    assert (state, states[PUBLISH]["state"]) == ("success", "success"), states
    return airflow_cluster


@pytest.fixture(scope="module")
def vertex(emulator: RunningEmulator) -> Iterator[VertexTuningJobsHook]:
    """A hook on the emulator, for reading the tuning jobs and models the DAGs made."""
    settings = ClientSettings(
        base_url=emulator.base_url,
        service_account_info=emulator.service_account_info(),
        project=PROJECT,
        location=LOCATION,
    )
    hook = VertexTuningJobsHook(settings=settings)
    yield hook
    hook.close()


def _supervised_jsonl(examples: int) -> str:
    """Vertex AI supervised tuning data: one user turn and one model turn per line."""
    lines = []
    for number in range(examples):
        contents = [
            {"role": "user", "parts": [{"text": f"Where is parcel {number}?"}]},
            {"role": "model", "parts": [{"text": "shipping"}]},
        ]
        lines.append(json.dumps({"contents": contents}))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- scenarios


@pytest.mark.topologies("local", "celery")
def test_triggered_run_defers_publishes_the_champion_and_starts_the_smoke_test(
    airflow_cluster: AirflowCluster,
    first_run: FirstRun,
    emulator: RunningEmulator,
    vertex: VertexTuningJobsHook,
) -> None:
    cluster, run_id = airflow_cluster, first_run.run_id
    deferral = cluster.wait_for_deferral(PIPELINE, run_id, TUNE)
    # Pushed before any waiting: the job's name and link are there while ``tune`` is deferred.
    job = cluster.xcom(PIPELINE, run_id, TUNE, key="tuning_job_name")
    url = cluster.xcom(PIPELINE, run_id, TUNE, key="tuning_job_url")
    assert cluster.extra_links(PIPELINE, run_id, TUNE) == {LINK_NAME: url}
    assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

    assert_every_task_succeeded(cluster, PIPELINE, run_id, PIPELINE_TASKS)
    triggerer = cluster.current_job_id(TRIGGERER)
    assert deferral.triggerer_job_id == triggerer
    assert_resumed_through_triggerer(cluster, run_id, deferral, fired_by=triggerer, job=job)
    assert_ran_on_the_topologys_workers(cluster, PIPELINE, run_id)
    # Off Google's host the link is the job's REST resource, which answers with the job.
    assert url == f"{emulator.base_url}/v1/{job}"
    assert read_as_google_client(emulator, url)["state"] == SUCCEEDED
    assert jobs_of_day(vertex, first_run.day) == [job]
    # Unpausing started no scheduled run: this run has the first scheduled date.
    assert cluster.dag_runs(PIPELINE, run_type="scheduled") == []

    tuned = cluster.xcom(PIPELINE, run_id, TUNE)
    evaluation = cluster.xcom(PIPELINE, run_id, "evaluate")
    assert evaluation["quality_gate"]["passed"] is True
    assert evaluation["models"]["tuned"]["model"] == tuned["endpoint"]
    events = cluster.asset_events(source_run_id=run_id)
    assert sorted((e["uri"], e["source_task_id"]) for e in events) == [
        (CANDIDATES_URI, TUNE),
        (CHAMPION_URI, PUBLISH),
    ]
    champion = next(e for e in events if e["uri"] == CHAMPION_URI)
    assert champion["extra"]["tuned_model"] == tuned["tuned_model"]
    assert champion["extra"]["endpoint"] == tuned["endpoint"]
    assert champion["extra"]["metrics"] == evaluation["models"]["tuned"]["scores"]
    promoted = vertex.get_model(str(tuned["tuned_model"]).split("@")[0])
    assert (promoted.labels or {}).get("stage") == "champion"

    smoke_run = smoke_test_run_created_by(cluster, champion)
    assert cluster.dag_run(SMOKE_TEST, smoke_run)["run_type"] == "asset_triggered"
    assert cluster.wait_for_dag_run(SMOKE_TEST, smoke_run) == "success"
    assert_every_task_succeeded(cluster, SMOKE_TEST, smoke_run, SMOKE_TEST_TASKS)
    assert cluster.xcom(SMOKE_TEST, smoke_run, "champion_endpoint") == tuned["endpoint"]
    answers = cluster.xcom(SMOKE_TEST, smoke_run, "generate")
    assert len(answers) == 2, answers
    assert all(answer.strip() for answer in answers), answers


@pytest.mark.topologies("local", "celery")
def test_killed_triggerer_mid_job_is_replaced_and_the_run_succeeds(
    cluster: AirflowCluster, vertex: VertexTuningJobsHook
) -> None:
    run_id = cluster.trigger_dag_run(PIPELINE, logical_date=KILLED_TRIGGERER_DAY)
    deferral = cluster.wait_for_deferral(PIPELINE, run_id, TUNE)
    job = cluster.xcom(PIPELINE, run_id, TUNE, key="tuning_job_name")
    first_triggerer = cluster.current_job_id(TRIGGERER)
    assert deferral.triggerer_job_id == first_triggerer
    # Kill only once the trigger is really running inside the first triggerer.
    cluster.wait_for_trigger_log(
        PIPELINE, run_id, TUNE, triggerer_job_id=first_triggerer, needle="starting"
    )

    cluster.kill_component(TRIGGERER)
    assert not cluster.is_running(TRIGGERER)
    # The job ends while no triggerer runs: nothing else may resume the task.
    wait_for_job_state(vertex, job, SUCCEEDED)
    time.sleep(NO_TRIGGERER_GRACE_SECONDS)
    assert cluster.task_instance(PIPELINE, run_id, TUNE)["state"] == "deferred"

    cluster.start_component(TRIGGERER)
    second_triggerer = cluster.current_job_id(TRIGGERER)
    assert second_triggerer != first_triggerer
    assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

    assert_the_champion_stayed(cluster, run_id)
    first_log = cluster.trigger_logs(PIPELINE, run_id, TUNE)[first_triggerer]
    assert TRIGGER_FIRED not in first_log
    assert_resumed_through_triggerer(cluster, run_id, deferral, fired_by=second_triggerer, job=job)
    assert jobs_of_day(vertex, KILLED_TRIGGERER_DAY) == [job]


@pytest.mark.topologies("local")
def test_backfill_then_rerun_tunes_exactly_one_job_per_day(
    cluster: AirflowCluster, vertex: VertexTuningJobsHook
) -> None:
    wait_until_no_pipeline_run_is_active(cluster)  # nothing else may create a job meanwhile
    before = created_at(vertex)

    backfill = cluster.create_backfill(PIPELINE, BACKFILL_DAYS[0], BACKFILL_DAYS[-1])
    cluster.wait_for_backfill(backfill["id"])
    run_ids = backfill_run_ids(cluster, BACKFILL_DAYS)
    created = {name: at for name, at in created_at(vertex).items() if name not in before}
    assert len(created) == len(BACKFILL_DAYS)
    jobs = {}
    for run_id, day in zip(run_ids, BACKFILL_DAYS, strict=True):
        assert_the_champion_stayed(cluster, run_id)
        (jobs[run_id],) = jobs_of_day(vertex, day)
    assert set(jobs.values()) == set(created)

    for run_id in run_ids:
        cluster.clear_dag_run(PIPELINE, run_id)
    for run_id in run_ids:
        assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

    # The rerun reused the three runs, and each second try of ``tune`` re-attached to its job.
    assert backfill_run_ids(cluster, BACKFILL_DAYS) == run_ids
    for run_id in run_ids:
        tries = cluster.task_instance_tries(PIPELINE, run_id, TUNE)
        assert [(t["try_number"], t["state"]) for t in tries] == [(1, "success"), (2, "success")]
        second_try = cluster.task_log(PIPELINE, run_id, TUNE, try_number=2)
        assert f"Re-attaching to {jobs[run_id]}, which is {SUCCEEDED}" in second_try
        assert cluster.xcom(PIPELINE, run_id, TUNE, key="tuning_job_name") == jobs[run_id]
        assert_the_champion_stayed(cluster, run_id)
        # Each try announced the same job; the second one says it re-attached.
        events = [e["extra"] for e in candidate_events(cluster, run_id)]
        assert [(e["tuning_job"], e["reused"]) for e in events] == [
            (jobs[run_id], False),
            (jobs[run_id], True),
        ]
    # Backfill and rerun together created exactly three jobs, one per day: the rerun created
    # none and replaced none (the same creation times).
    assert created_at(vertex) == {**before, **created}


@pytest.mark.topologies("local")
def test_pipeline_succeeds_through_injected_faults_without_a_duplicate_job(
    cluster: AirflowCluster, emulator: RunningEmulator, vertex: VertexTuningJobsHook
) -> None:
    emulator.set_faults(*FAULTS, seed=FAULT_SEED)
    try:
        run_id = cluster.trigger_dag_run(PIPELINE, logical_date=FAULTS_DAY)
        state = cluster.wait_for_dag_run(PIPELINE, run_id, timeout=300)
    finally:
        emulator.reset_faults()

    assert state == "success", cluster.task_instances(PIPELINE, run_id)
    assert_the_champion_stayed(cluster, run_id)
    # The faults reached the run's calls to both APIs (task and trigger logs), which repeated them.
    retried = retried_requests("\n".join(cluster.run_log_files(PIPELINE, run_id).values()))
    assert {status for _, _, status in retried} == {"503", "429"}, retried
    assert any(url.startswith(f"{emulator.base_url}/v1/projects/") for _, url, _ in retried)
    assert any(url.startswith(f"{emulator.base_url}/storage/v1/") for _, url, _ in retried)
    (job,) = jobs_of_day(vertex, FAULTS_DAY)
    assert cluster.xcom(PIPELINE, run_id, TUNE, key="tuning_job_name") == job
    assert vertex.get_tuning_job(job).state_name == SUCCEEDED


@pytest.mark.topologies("local")
def test_killing_the_deferred_task_cancels_its_tuning_job(
    cluster: AirflowCluster, emulator: RunningEmulator, vertex: VertexTuningJobsHook
) -> None:
    emulator.put_object(CANCEL_DATASET, _supervised_jsonl(64))
    cluster.set_paused(CANCEL_DAG, paused=False)
    run_id = cluster.trigger_dag_run(CANCEL_DAG, conf={"training_dataset": CANCEL_DATASET})
    deferral = cluster.wait_for_deferral(CANCEL_DAG, run_id, TUNE)
    job = cluster.xcom(CANCEL_DAG, run_id, TUNE, key="tuning_job_name")
    cluster.wait_for_trigger_log(
        CANCEL_DAG, run_id, TUNE, triggerer_job_id=deferral.triggerer_job_id, needle="starting"
    )
    assert vertex.get_tuning_job(job).state_name in ("JOB_STATE_PENDING", "JOB_STATE_RUNNING")

    # A user marks the deferred task failed: the triggerer cancels the trigger and calls its
    # ``on_kill``, which cancels the job (``cancel_on_kill=True``).
    cluster.set_task_instance_state(CANCEL_DAG, run_id, TUNE, "failed")
    wait_for_job_state(vertex, job, CANCELLED)

    assert cluster.wait_for_dag_run(CANCEL_DAG, run_id) == "failed"
    assert cluster.task_instance(CANCEL_DAG, run_id, TUNE)["state"] == "failed"
    log = cluster.wait_for_trigger_log(
        CANCEL_DAG,
        run_id,
        TUNE,
        triggerer_job_id=deferral.triggerer_job_id,
        needle=f"Asked Vertex AI to cancel {job}",
    )
    assert "Trigger cancelled by user action, invoking on_kill" in log
    assert TRIGGER_FIRED not in log
