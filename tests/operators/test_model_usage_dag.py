"""``dag.test()`` of a DAG that shares, queries and evaluates a tuned model on the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from tests.support.dag_runs import copy_dag_file, dags_folder, task_states
from tests.support.emulator import emulator_hook, train, use_emulator_connection

DAG_FILE = Path(__file__).parent / "dags" / "use_tuned_model.py"


@pytest.fixture
def dag_module(airflow_db: Path) -> Iterator[Any]:
    """The DAG file, placed in the DAGs folder (``dag.test()`` parses it from there)."""
    yield copy_dag_file(DAG_FILE, "tunedmodels_use_tuned_model_dag")
    (dags_folder() / DAG_FILE.name).unlink()


@pytest.mark.usefixtures("restore_env")
def test_dag_runs_every_operator_against_the_emulator(
    emulator: RunningEmulator, dag_module: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = emulator_hook(emulator)
    tuned_model = train(hook, "dag-model", dag_module.TRAINING)
    use_emulator_connection(monkeypatch, emulator)
    results_path = tmp_path / "results.jsonl"
    run = dag_module.dag.test(
        run_conf={"tuned_model": tuned_model, "results_path": str(results_path)}
    )

    assert task_states(run) == dict.fromkeys(
        ["evaluation_set", "share", "ask", "evaluate"], "success"
    )
    roles = {
        str(p.email_address): str(getattr(p.role, "value", p.role))
        for p in hook.iter_permissions(tuned_model)
    }
    assert roles["reviewer@example.com"] == "READER"
    lines = [json.loads(line) for line in results_path.read_text().splitlines()]
    assert [line["tuned"]["prediction"] for line in lines] == ["billing", "technical"]
