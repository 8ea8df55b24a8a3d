"""``dag.test()`` runs of the Vertex AI example DAGs against the emulator, deferral included.

Staging goes through the emulator's Cloud Storage API; tuning jobs read what was
staged; the champion/challenger step reads the asset's last event.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from tests.support.dag_runs import copy_dag_file, dags_folder, task_states, xcom_value

pytestmark = [pytest.mark.emulator, pytest.mark.long]

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
DAY = datetime(2025, 3, 1, tzinfo=timezone.utc)
PROJECT = "emulator-project"
STAGING = "gs://support-tuning-data/router/"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=0.002, seed=5) as running:
        yield running


@pytest.fixture
def hook(emulator: RunningEmulator) -> Iterator[VertexTuningJobsHook]:
    settings = ClientSettings(
        base_url=emulator.base_url,
        service_account_info=emulator.service_account_info(),
        project=PROJECT,
        location="us-central1",
        retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
    )
    hook = VertexTuningJobsHook(settings=settings)
    yield hook
    hook.close()


@pytest.fixture
def load_example(
    airflow_db: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[str], Any]:
    """Copy an example DAG file (and its data) into the DAGs folder and return its DAG."""
    emulator.reset()
    emulator.put_object(f"{STAGING}README", "staged datasets")  # the bucket exists
    connection = {
        "conn_type": "vertex_ai_tuning",
        "host": emulator.base_url,
        "extra": {
            "project": PROJECT,
            "location": "us-central1",
            "keyfile_dict": json.dumps(emulator.service_account_info()),
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_VERTEX_AI_TUNING_DEFAULT", json.dumps(connection))
    monkeypatch.setenv("VERTEX_PIPELINE_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("VERTEX_STAGING_PREFIX", STAGING)
    shutil.copytree(EXAMPLE_DAGS / "data", dags_folder() / "data", dirs_exist_ok=True)

    def load(name: str) -> Any:
        return copy_dag_file(EXAMPLE_DAGS / f"{name}.py", f"example_{name}").dag

    return load


def test_pipeline_tunes_evaluates_and_publishes_a_first_champion(
    load_example: Callable[[str], Any], hook: VertexTuningJobsHook
) -> None:
    dag = load_example("vertex_tuning_pipeline")
    run = dag.test(logical_date=DAY)
    states = task_states(run)
    assert str(run.state) == "success", states
    assert set(states.values()) == {"success"}, states

    (job,) = list(hook.iter_tuning_jobs())
    assert str(job.state.value if hasattr(job.state, "value") else job.state).endswith("SUCCEEDED")
    assert (job.supervised_tuning_spec.training_dataset_uri or "").startswith(STAGING)
    estimate = xcom_value(run, "tune", "billing_estimate")
    stats = xcom_value(run, "tune", "tuning_data_stats")["supervisedTuningDataStats"]
    assert estimate["tokens_per_epoch"] == int(stats["totalBillableTokenCount"])
    published = xcom_value(run, "publish")
    assert published["endpoint"] == xcom_value(run, "tune", "endpoint")
    model = hook.get_model(str(published["tuned_model"]).split("@")[0])
    assert (model.labels or {}).get("stage") == "champion"


def test_a_rerun_reattaches_and_a_later_equal_model_does_not_dethrone_the_champion(
    load_example: Callable[[str], Any], hook: VertexTuningJobsHook
) -> None:
    dag = load_example("vertex_tuning_pipeline")
    assert str(dag.test(logical_date=DAY).state) == "success"
    rerun = dag.test(logical_date=DAY)
    assert str(rerun.state) == "success", task_states(rerun)
    assert len(list(hook.iter_tuning_jobs())) == 1  # the same day's job, re-attached

    next_day = dag.test(logical_date=DAY + timedelta(days=1))
    states = task_states(next_day)
    assert len(list(hook.iter_tuning_jobs())) == 2
    assert states["champion_challenger"] == "success"
    assert (states["promote"], states["publish"]) == ("skipped", "skipped")


def test_preference_tuning_continues_from_the_supervised_checkpoint(
    load_example: Callable[[str], Any], hook: VertexTuningJobsHook
) -> None:
    dag = load_example("vertex_preference_tuning")
    run = dag.test(logical_date=DAY)
    assert str(run.state) == "success", task_states(run)
    supervised = xcom_value(run, "tune_supervised", "tuned_model")
    preference = xcom_value(run, "tune_preference", "tuning_job")
    assert preference["preTunedModel"]["tunedModelName"] == supervised.split("@")[0]
    assert "preferenceOptimizationSpec" in preference
    assert xcom_value(run, "tune_preference", "tuned_model").endswith("@2")


def test_a_run_without_a_logical_date_names_its_files_after_its_run_id(
    load_example: Callable[[str], Any], hook: VertexTuningJobsHook
) -> None:
    dag = load_example("vertex_tuning_pipeline")
    run = dag.test(logical_date=None)  # as asset- or REST-triggered runs are
    assert run.logical_date is None
    assert str(run.state) == "success", task_states(run)
    train_path = xcom_value(run, "prepare_dataset")["train_path"]
    assert run.run_id.replace(":", "_").replace("+", "_") in train_path
    assert len(list(hook.iter_tuning_jobs())) == 1
