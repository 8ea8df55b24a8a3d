"""End-to-end runs of the example pipeline (``example_dags/``) on real Airflow components.

Every scenario runs on the local topology (SQLite, LocalExecutor), on one cluster, which
parses a copy of ``example_dags/`` (with its ``data/``), and one emulator process on loopback
that the cluster's default ``gemini_tuned_models`` connection points at. The scenarios where
the executor matters (a triggered run that defers to the triggerer and is resumed by a worker;
the triggerer killed mid-deferral) run on the Celery topology in the Vertex AI module
(``test_vertex_pipeline_e2e.py``): the deferral, the trigger (``TuningJobTrigger``) and the
resume are the same code for both backends, only the hook under them differs, and that hook
is proven here.

The tuned model's id is deterministic per logical date, so each scenario uses logical dates of
its own and finds its models by date. Unpausing the ``@daily`` pipeline makes the scheduler start
one scheduled run at once (the latest interval, today's date); it tunes a model of that date,
which no scenario counts. It runs alongside the first scenario; the backfill scenario waits for
it to finish before counting models, and the triggered-run scenario, which comes last, before
letting asset events start smoke tests (two events of one asset published at the same moment
can leave one of them without a run).

Tuning has 63 steps (332 training examples, 3 epochs, batch size 16) of ``STEP_SECONDS``, so a
model is ACTIVE about 13 s after ``tune`` created it, several seconds after ``wait_for_tuning``
deferred: a trigger that fires right after the deferral can get the resumed task failed by the
scheduler (apache/airflow#72716, see ``README.md``).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.tuning_policy import deterministic_tuned_model_id

from .cluster import TERMINAL_RUN_STATES, TRIGGERER, AirflowCluster, Deferral, Topology, poll
from .proofs import (
    TRIGGER_FIRED,
    assert_ran_on_the_topologys_workers,
    assert_single_successful_try,
    assert_task_log_shows_resume,
    assert_trigger_fired_in,
)

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
PIPELINE = "tuned_model_pipeline"
SMOKE_TEST = "tuned_model_smoke_test"
HOUSEKEEPING = "tuned_model_housekeeping"
PIPELINE_TASKS = (
    "prepare_dataset",
    "tune",
    "wait_for_tuning",
    "evaluate",
    "promote",
    "share_with_support_team",
    "publish",
)
SMOKE_TEST_TASKS = ("promoted_model", "generate", "check")
TUNE, WAIT, EVALUATE, PUBLISH = "tune", "wait_for_tuning", "evaluate", "publish"
SUPPORT_TEAM = "support-team@googlegroups.com"
TRIGGER_CLASSPATH = "airflow_provider_tunedmodels.triggers.tuning_job.TuningJobTrigger"
ASSET_URI = "gemini-tuned-model://support-router/"
LINK_NAME = "Tuned model"

#: Wall time of one of the 63 tuning steps (see the module's docstring).
STEP_SECONDS = 0.2
#: Longer than the sensor's poll interval (2 s): a live triggerer would have fired by then.
NO_TRIGGERER_GRACE_SECONDS = 5
#: About 20% of API requests fail, answered 503 or 429 (with a short Retry-After).
FAULTS: dict[str, float] = {"rate_503": 0.1, "rate_429": 0.1, "retry_after": 0.2}
FAULT_SEED = 20250203


def _day(month: int, day: int) -> datetime:
    return datetime(2025, month, day, tzinfo=timezone.utc)


TRIGGERED_DAY = _day(2, 1)
KILLED_TRIGGERER_DAY = _day(2, 2)
FAULTS_DAY = _day(2, 3)
BACKFILL_DAYS = [_day(1, 1), _day(1, 2), _day(1, 3)]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def emulator(topology: Topology) -> Iterator[RunningEmulator]:
    """One emulator process per topology, so one cluster never adopts the other's models."""
    with run_emulator(step_seconds=STEP_SECONDS, subprocess=True) as running:
        yield running


@pytest.fixture(scope="module")
def cluster_dags_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ``example_dags/`` with its ``data/``: parsing writes nothing into the repo."""
    folder = tmp_path_factory.mktemp("example-dags") / "dags"
    shutil.copytree(EXAMPLE_DAGS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture(scope="module")
def cluster_extra_env(
    emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The default connection, pointing at the emulator, and a folder for the pipeline's files."""
    connection = {
        "conn_type": "gemini_tuned_models",
        "host": emulator.base_url,
        "password": emulator.api_key,
    }
    return {
        "AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT": json.dumps(connection),
        "TUNED_MODEL_PIPELINE_DIR": str(tmp_path_factory.mktemp("pipeline-files")),
    }


@pytest.fixture(scope="module")
def cluster(airflow_cluster: AirflowCluster) -> AirflowCluster:
    """The module's cluster with every example DAG parsed and the pipeline unpaused."""
    for dag_id in (PIPELINE, SMOKE_TEST, HOUSEKEEPING):
        airflow_cluster.wait_for_dag(dag_id)  # fails on any import error in the folder
    airflow_cluster.set_paused(PIPELINE, paused=False)
    poll(
        lambda: airflow_cluster.dag_runs(PIPELINE, run_type="scheduled") or None,
        timeout=60,
        describe="the scheduled run that unpausing creates",
    )
    return airflow_cluster


@pytest.fixture(scope="module")
def hook(emulator: RunningEmulator) -> Iterator[GeminiTunedModelsHook]:
    """A hook on the emulator, for reading the tuned models the pipeline made."""
    settings = ClientSettings(base_url=emulator.base_url, api_key=emulator.api_key)
    tuned_models = GeminiTunedModelsHook(settings=settings)
    yield tuned_models
    tuned_models.close()


# ---------------------------------------------------------------------------------- helpers


def _expected_model(day: datetime) -> str:
    """The tuned model the pipeline's ``tune`` task creates, or adopts, for a logical date."""
    return f"tunedModels/{deterministic_tuned_model_id(PIPELINE, TUNE, day)}"


def _created_at(hook: GeminiTunedModelsHook) -> dict[str, datetime | None]:
    """Every tuned model on the emulator, with its creation time."""
    return {model.name or "?": model.create_time for model in hook.iter_tuned_models()}


def _models_of_day(hook: GeminiTunedModelsHook, day: datetime) -> list[str]:
    """Every tuned model whose display name (``support router <ds>``) says it is of ``day``."""
    display_name = f"support router {day:%Y-%m-%d}"
    return sorted(m.name or "?" for m in hook.iter_tuned_models() if m.display_name == display_name)


def _wait_until_active(hook: GeminiTunedModelsHook, model: str) -> None:
    poll(
        lambda: True if hook.get_tuned_model(model).is_active else None,
        timeout=120,
        describe=f"{model} to be ACTIVE",
    )


def _wait_until_no_pipeline_run_is_active(cluster: AirflowCluster) -> None:
    """Wait for every run of the pipeline (the scheduled one, earlier tests' ones) to finish."""

    def quiet() -> bool | None:
        states = [run["state"] for run in cluster.dag_runs(PIPELINE)]
        return True if all(state in TERMINAL_RUN_STATES for state in states) else None

    poll(quiet, timeout=240, interval=1.0, describe=f"every {PIPELINE} run to finish")


def _assert_every_task_succeeded(
    cluster: AirflowCluster, dag_id: str, run_id: str, tasks: tuple[str, ...]
) -> None:
    states = {task: ti["state"] for task, ti in cluster.task_instances(dag_id, run_id).items()}
    assert states == dict.fromkeys(tasks, "success"), states


def _assert_resumed_through_triggerer(
    cluster: AirflowCluster, run_id: str, deferral: Deferral, *, fired_by: int, model: str
) -> None:
    """``wait_for_tuning`` deferred, its trigger fired in job ``fired_by``, a worker resumed it."""
    assert deferral.trigger_classpath == TRIGGER_CLASSPATH
    fired_log = assert_trigger_fired_in(
        cluster, PIPELINE, run_id, WAIT, deferral, triggerer_job_id=fired_by
    )
    assert f"{model} is ACTIVE" in fired_log, "the trigger's event does not name the model"
    assert_single_successful_try(cluster, PIPELINE, run_id, WAIT)
    # ``execute_complete`` read the model the event named and returned it.
    resumed = cluster.xcom(PIPELINE, run_id, WAIT)
    assert (resumed["name"], resumed["state"]) == (model, "ACTIVE")
    assert_task_log_shows_resume(cluster, PIPELINE, run_id, WAIT)


def _assert_tune_outputs(
    cluster: AirflowCluster, emulator: RunningEmulator, run_id: str, model: str
) -> None:
    """``tune`` pushed the model's name and URL, and its extra link is that URL."""
    assert cluster.xcom(PIPELINE, run_id, TUNE, key="tuned_model_name") == model
    url = cluster.xcom(PIPELINE, run_id, TUNE, key="tuned_model_url")
    assert url == f"{emulator.base_url}/v1beta/{model}"
    assert cluster.extra_links(PIPELINE, run_id, TUNE) == {LINK_NAME: url}
    # The link is the model's REST resource: it answers with the model.
    with httpx.Client(trust_env=False) as client:
        answer = client.get(url, headers={"x-goog-api-key": emulator.api_key})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == model


def _assert_quality_gate_passed(cluster: AirflowCluster, run_id: str, model: str) -> dict[str, Any]:
    """``evaluate`` scored the tuned model against the base model and passed the gate."""
    summary = cluster.xcom(PIPELINE, run_id, EVALUATE)
    assert summary["quality_gate"] == {
        "metric": "token_f1",
        "min_score": 0.8,
        "require_improvement": True,
        "passed": True,
    }
    assert summary["examples"] > 0
    assert summary["failed"] == 0
    tuned, baseline = summary["models"]["tuned"], summary["models"]["baseline"]
    assert tuned["model"] == model
    assert tuned["scores"]["token_f1"] >= 0.8 > baseline["scores"]["token_f1"]
    return dict(tuned["scores"])


def _assert_published(cluster: AirflowCluster, run_id: str, model: str) -> dict[str, Any]:
    """``publish`` emitted one event on the ``support-router`` asset, naming the model."""
    assert cluster.xcom(PIPELINE, run_id, PUBLISH) == model
    events = cluster.asset_events(source_run_id=run_id)
    assert [(e["uri"], e["source_task_id"]) for e in events] == [(ASSET_URI, PUBLISH)], events
    assert events[0]["extra"]["tuned_model"] == model
    return events[0]


def _smoke_test_run_created_by(cluster: AirflowCluster, event: dict[str, Any]) -> str:
    """Wait until the scheduler created a smoke-test run from ``event``; return its run id."""

    def created() -> str | None:
        for current in cluster.asset_events(source_run_id=event["source_run_id"]):
            runs = [r["run_id"] for r in current["created_dagruns"] if r["dag_id"] == SMOKE_TEST]
            if current["id"] == event["id"] and runs:
                return str(runs[0])
        return None

    return poll(created, timeout=120, interval=1.0, describe=f"a {SMOKE_TEST} run from the event")


def _assert_smoke_test_ran_for(cluster: AirflowCluster, event: dict[str, Any]) -> None:
    """The asset event started ``tuned_model_smoke_test``, which tested the newest model."""
    run_id = _smoke_test_run_created_by(cluster, event)
    assert cluster.dag_run(SMOKE_TEST, run_id)["run_type"] == "asset_triggered"
    assert cluster.wait_for_dag_run(SMOKE_TEST, run_id) == "success"
    _assert_every_task_succeeded(cluster, SMOKE_TEST, run_id, SMOKE_TEST_TASKS)
    # The run may also have consumed earlier events, published while the smoke test was paused;
    # it tests the newest one.
    consumed = cluster.upstream_asset_events(SMOKE_TEST, run_id)
    assert event["id"] in {e["id"] for e in consumed}
    newest = max(consumed, key=lambda e: (e["timestamp"], e["id"]))
    assert cluster.xcom(SMOKE_TEST, run_id, "promoted_model") == newest["extra"]["tuned_model"]
    answers = cluster.xcom(SMOKE_TEST, run_id, "generate")
    assert len(answers) == 2, answers
    assert all(answer.strip() for answer in answers), answers


def _backfill_runs(cluster: AirflowCluster) -> list[dict[str, Any]]:
    first, last = BACKFILL_DAYS[0], BACKFILL_DAYS[-1]
    return [
        run
        for run in cluster.dag_runs(PIPELINE, run_type="backfill")
        if first <= datetime.fromisoformat(run["logical_date"]) <= last
    ]


def _successful_backfill_run_ids(cluster: AirflowCluster) -> list[str]:
    runs = _backfill_runs(cluster)
    assert [datetime.fromisoformat(run["logical_date"]) for run in runs] == BACKFILL_DAYS
    assert [run["state"] for run in runs] == ["success"] * len(BACKFILL_DAYS), runs
    return [str(run["dag_run_id"]) for run in runs]


# ---------------------------------------------------------------------------------- scenarios


@pytest.mark.topologies("local")
def test_killed_triggerer_mid_tuning_is_replaced_and_the_run_succeeds(
    cluster: AirflowCluster, hook: GeminiTunedModelsHook
) -> None:
    model = _expected_model(KILLED_TRIGGERER_DAY)
    run_id = cluster.trigger_dag_run(PIPELINE, logical_date=KILLED_TRIGGERER_DAY)
    deferral = cluster.wait_for_deferral(PIPELINE, run_id, WAIT)
    first_triggerer = cluster.current_job_id(TRIGGERER)
    assert deferral.triggerer_job_id == first_triggerer
    # Kill only once the trigger is really running inside the first triggerer.
    cluster.wait_for_trigger_log(
        PIPELINE, run_id, WAIT, triggerer_job_id=first_triggerer, needle="starting"
    )

    cluster.kill_component(TRIGGERER)
    assert not cluster.is_running(TRIGGERER)
    # Tuning ends while no triggerer runs: nothing else may resume the task.
    _wait_until_active(hook, model)
    time.sleep(NO_TRIGGERER_GRACE_SECONDS)
    assert cluster.task_instance(PIPELINE, run_id, WAIT)["state"] == "deferred"

    cluster.start_component(TRIGGERER)
    second_triggerer = cluster.current_job_id(TRIGGERER)
    assert second_triggerer != first_triggerer
    assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

    _assert_every_task_succeeded(cluster, PIPELINE, run_id, PIPELINE_TASKS)
    first_log = cluster.trigger_logs(PIPELINE, run_id, WAIT)[first_triggerer]
    assert TRIGGER_FIRED not in first_log
    _assert_resumed_through_triggerer(
        cluster, run_id, deferral, fired_by=second_triggerer, model=model
    )
    _assert_published(cluster, run_id, model)
    assert _models_of_day(hook, KILLED_TRIGGERER_DAY) == [model]


@pytest.mark.topologies("local")
def test_backfill_then_rerun_tunes_exactly_one_model_per_day(
    cluster: AirflowCluster, hook: GeminiTunedModelsHook
) -> None:
    _wait_until_no_pipeline_run_is_active(cluster)  # nothing else may create a model meanwhile
    before = _created_at(hook)
    expected = {_expected_model(day) for day in BACKFILL_DAYS}

    backfill = cluster.create_backfill(PIPELINE, BACKFILL_DAYS[0], BACKFILL_DAYS[-1])
    cluster.wait_for_backfill(backfill["id"])
    run_ids = _successful_backfill_run_ids(cluster)
    created = {name: at for name, at in _created_at(hook).items() if name not in before}
    assert set(created) == expected

    for run_id in run_ids:
        cluster.clear_dag_run(PIPELINE, run_id)
    for run_id in run_ids:
        assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

    # The rerun reused the three runs, and each second try of ``tune`` adopted its day's model.
    assert _successful_backfill_run_ids(cluster) == run_ids
    for run_id, day in zip(run_ids, BACKFILL_DAYS, strict=True):
        model = _expected_model(day)
        tries = cluster.task_instance_tries(PIPELINE, run_id, TUNE)
        assert [(t["try_number"], t["state"]) for t in tries] == [(1, "success"), (2, "success")]
        assert f"Reusing {model}" in cluster.task_log(PIPELINE, run_id, TUNE, try_number=2)
        assert cluster.xcom(PIPELINE, run_id, TUNE, key="tuned_model_name") == model
    # Backfill and rerun together created exactly three models, one per day: the rerun created
    # none and replaced none (the same creation times).
    assert _created_at(hook) == {**before, **created}
    for day in BACKFILL_DAYS:
        assert _models_of_day(hook, day) == [_expected_model(day)]


@pytest.mark.topologies("local")
def test_pipeline_succeeds_through_injected_api_faults_without_duplicates(
    cluster: AirflowCluster, emulator: RunningEmulator, hook: GeminiTunedModelsHook
) -> None:
    model = _expected_model(FAULTS_DAY)
    emulator.set_faults(seed=FAULT_SEED, **FAULTS)
    try:
        run_id = cluster.trigger_dag_run(PIPELINE, logical_date=FAULTS_DAY)
        state = cluster.wait_for_dag_run(PIPELINE, run_id, timeout=300)
    finally:
        emulator.reset_faults()

    assert state == "success", cluster.task_instances(PIPELINE, run_id)
    _assert_every_task_succeeded(cluster, PIPELINE, run_id, PIPELINE_TASKS)
    # The faults reached the run's API calls (task and trigger logs), which repeated them.
    logs = "\n".join(cluster.run_log_files(PIPELINE, run_id).values())
    assert "HTTP 503; attempt" in logs
    assert "HTTP 429; attempt" in logs
    _assert_published(cluster, run_id, model)
    assert _models_of_day(hook, FAULTS_DAY) == [model]


@pytest.mark.topologies("local")
def test_triggered_run_defers_resumes_and_publishes_the_model(
    cluster: AirflowCluster, emulator: RunningEmulator, hook: GeminiTunedModelsHook
) -> None:
    model = _expected_model(TRIGGERED_DAY)
    # The scheduled run's asset event must not race this run's one (see the module docstring).
    _wait_until_no_pipeline_run_is_active(cluster)
    # Asset events only queue runs of DAGs that are unpaused when the event is emitted.
    cluster.set_paused(SMOKE_TEST, paused=False)
    try:
        run_id = cluster.trigger_dag_run(PIPELINE, logical_date=TRIGGERED_DAY)
        deferral = cluster.wait_for_deferral(PIPELINE, run_id, WAIT)
        assert cluster.wait_for_dag_run(PIPELINE, run_id) == "success"

        _assert_every_task_succeeded(cluster, PIPELINE, run_id, PIPELINE_TASKS)
        triggerer = cluster.current_job_id(TRIGGERER)
        assert deferral.triggerer_job_id == triggerer
        _assert_resumed_through_triggerer(
            cluster, run_id, deferral, fired_by=triggerer, model=model
        )
        _assert_tune_outputs(cluster, emulator, run_id, model)
        scores = _assert_quality_gate_passed(cluster, run_id, model)
        event = _assert_published(cluster, run_id, model)
        assert event["extra"]["scores"] == scores
        assert_ran_on_the_topologys_workers(cluster, PIPELINE, run_id)
        _assert_smoke_test_ran_for(cluster, event)
    finally:
        cluster.set_paused(SMOKE_TEST, paused=True)  # later scenarios need no smoke tests

    assert _models_of_day(hook, TRIGGERED_DAY) == [model]
    # ``promote`` and ``share_with_support_team`` changed that model.
    promoted = hook.get_tuned_model(model)
    assert (promoted.description or "").startswith(f"Promoted {TRIGGERED_DAY:%Y-%m-%d}.")
    grants = {grant.email_address: grant.role for grant in hook.iter_permissions(model)}
    assert grants[SUPPORT_TEAM] == "READER"
