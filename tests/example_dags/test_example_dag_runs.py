"""``dag.test()`` runs of the example DAGs against the emulator (the deferrable path included)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from tests.support.dag_runs import copy_dag_file, dags_folder, task_states
from tests.support.emulator import emulator_hook, use_emulator_connection

pytestmark = [pytest.mark.emulator, pytest.mark.long]

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"
DAY = datetime(2025, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=0.002, seed=11) as running:
        yield running


@pytest.fixture
def hook(emulator: RunningEmulator) -> GeminiTunedModelsHook:
    return emulator_hook(emulator, retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05))


@pytest.fixture
def load_example(
    airflow_db: Path, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[str], Any]:
    """Copy an example DAG file (and its data) into the DAGs folder and return its DAG."""
    emulator.reset()
    use_emulator_connection(monkeypatch, emulator)
    monkeypatch.setenv("TUNED_MODEL_PIPELINE_DIR", str(tmp_path / "work"))
    shutil.copytree(EXAMPLE_DAGS / "data", dags_folder() / "data", dirs_exist_ok=True)

    def load(name: str) -> Any:
        return copy_dag_file(EXAMPLE_DAGS / f"{name}.py", f"example_{name}").dag

    return load


def test_pipeline_tunes_evaluates_promotes_and_a_rerun_adopts_the_same_model(
    load_example: Callable[[str], Any], hook: GeminiTunedModelsHook
) -> None:
    dag = load_example("tuned_model_pipeline")
    first = dag.test(logical_date=DAY)
    assert str(first.state) == "success", task_states(first)

    models = list(hook.iter_tuned_models())
    assert len(models) == 1
    model = models[0]
    assert model.is_active
    assert model.description is not None
    assert model.description.startswith("Promoted 2025-03-01. Token F1 1.000 vs base")
    assert (model.temperature, model.top_k) == (0.2, 20)
    grants = {p.email_address: p.role for p in hook.iter_permissions(model.name or "")}
    assert grants["support-team@googlegroups.com"] == "READER"

    second = dag.test(logical_date=DAY)  # a rerun of the same logical date
    assert str(second.state) == "success", task_states(second)
    assert [m.name for m in hook.iter_tuned_models()] == [model.name]


def test_pipeline_quality_gate_stops_promotion(
    load_example: Callable[[str], Any], hook: GeminiTunedModelsHook
) -> None:
    dag = load_example("tuned_model_pipeline")
    evaluate = dag.get_task("evaluate")
    # Answers cut to one token (four characters) cannot reach this character similarity.
    evaluate.metric = "char_similarity"
    evaluate.min_score = 0.99
    evaluate.generation_config = {"temperature": 0.0, "max_output_tokens": 1}
    run = dag.test(logical_date=DAY)
    result = task_states(run)
    assert result["evaluate"] == "failed"
    assert result["promote"] == "upstream_failed"
    assert result["publish"] == "upstream_failed"
    (model,) = hook.iter_tuned_models()
    assert not (model.description or "").startswith("Promoted")


def _tune(hook: GeminiTunedModelsHook, model_id: str, description: str = "") -> None:
    body = {
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "description": description,
        "tuningTask": {
            "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}
        },
    }
    operation = hook.create_tuned_model(body, tuned_model_id=model_id)
    hook.wait_for_operation(operation.name or "", poll_interval=0.01, timeout=30)


def test_housekeeping_keeps_only_the_newest_promoted_model(
    load_example: Callable[[str], Any], hook: GeminiTunedModelsHook, emulator: RunningEmulator
) -> None:
    _tune(hook, "old-promoted", "Promoted 2025-01-01.")
    _tune(hook, "candidate")
    _tune(hook, "new-promoted", "Promoted 2025-01-02.")
    emulator.set_faults({"kind": "tuning_failure", "count": 1})
    with pytest.raises(Exception, match="failed"):
        _tune(hook, "broken")
    emulator.reset_faults()
    assert {m.tuned_model_id: str(m.state) for m in hook.iter_tuned_models()}["broken"].endswith(
        "FAILED"
    )

    dag = load_example("tuned_model_housekeeping")
    run = dag.test(logical_date=DAY, run_conf={"retention_days": 0})
    assert str(run.state) == "success", task_states(run)
    assert [m.name for m in hook.iter_tuned_models()] == ["tunedModels/new-promoted"]


def test_pipeline_runs_without_a_logical_date(
    load_example: Callable[[str], Any], hook: GeminiTunedModelsHook
) -> None:
    dag = load_example("tuned_model_pipeline")
    run = dag.test(logical_date=None)  # as asset- or REST-triggered runs are
    assert run.logical_date is None
    assert str(run.state) == "success", task_states(run)
    (model,) = hook.iter_tuned_models()
    day = run.run_after.strftime("%Y-%m-%d")
    assert (model.description or "").startswith(f"Promoted {day}.")
