"""``dag.test()`` runs of DAGs using the lifecycle operators and the sensor, against the emulator.

Airflow 3's ``dag.test()`` runs deferred tasks' triggers inline, so these runs go
through deferral, the trigger and the resume exactly as with a triggerer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from airflow_provider_tunedmodels.triggers import TuningJobTrigger
from tests.support.dag_runs import (
    asset_event_extras,
    copy_dag_file,
    task_states_and_tries,
    xcom_value,
)
from tests.support.emulator import emulator_hook, use_emulator_connection
from tests.support.tuning_fakes import LOGICAL_DATE

pytestmark = pytest.mark.emulator

DAG_FILE = Path(__file__).with_name("dag_tuned_model_lifecycle.py")


@pytest.fixture(scope="module")
def dag_run_emulator() -> Iterator[RunningEmulator]:
    with run_emulator(step_seconds=0.002, seed=5) as running:
        yield running


@pytest.fixture
def lifecycle_dags(
    airflow_db: Path,
    dag_run_emulator: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ModuleType]:
    """The DAG module, copied into the dags folder and imported; the default connection
    points at a freshly reset emulator."""
    dag_run_emulator.reset()
    use_emulator_connection(monkeypatch, dag_run_emulator)
    yield copy_dag_file(DAG_FILE, "tuned_model_lifecycle_dags")
    dag_run_emulator.reset()


@pytest.fixture
def triggers_run(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The serialized arguments of every trigger that ran."""
    ran: list[dict[str, Any]] = []
    original = TuningJobTrigger.run

    async def recording_run(self: TuningJobTrigger) -> AsyncIterator[Any]:
        ran.append(self.serialize()[1])
        async for event in original(self):
            yield event

    monkeypatch.setattr(TuningJobTrigger, "run", recording_run)
    return ran


def test_the_whole_lifecycle_runs_deferrable_and_on_the_worker(
    lifecycle_dags: ModuleType,
    dag_run_emulator: RunningEmulator,
    triggers_run: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    train = tmp_path / "train.jsonl"
    train.write_text(
        "".join(json.dumps({"input": f"q{n}", "output": f"a{n}"}) + "\n" for n in range(12)),
        encoding="utf-8",
    )
    dag_run = lifecycle_dags.lifecycle_dag.test(
        logical_date=LOGICAL_DATE, run_conf={"train_path": str(train)}
    )

    assert str(dag_run.state) == "success", task_states_and_tries(dag_run)
    assert {state for state, _ in task_states_and_tries(dag_run).values()} == {"success"}

    tuned_name = xcom_value(dag_run, "tune", "tuned_model_name")
    sensed_name = xcom_value(dag_run, "start", "tuned_model_name")
    tuned_operation = xcom_value(dag_run, "tune", "operation_name")
    sensed_operation = xcom_value(dag_run, "start", "operation_name")
    assert [run["job_name"] for run in triggers_run] == [tuned_operation, sensed_operation]

    assert xcom_value(dag_run, "tune")["state"] == "ACTIVE"
    assert xcom_value(dag_run, "tune")["displayName"] == "router 2025-01-01"
    assert xcom_value(dag_run, "describe")["description"] == "trained for 2025-01-01"
    assert xcom_value(dag_run, "drop") is True
    assert xcom_value(dag_run, "tune_on_worker")["name"] == "tunedModels/worker-20250101"
    assert xcom_value(dag_run, "wait")["name"] == sensed_name
    assert xcom_value(dag_run, "tune", "tuned_model_url").endswith(f"/v1beta/{tuned_name}")

    hook = emulator_hook(dag_run_emulator)
    remaining = {str(model.name) for model in hook.iter_tuned_models()}
    assert remaining == {"tunedModels/worker-20250101", sensed_name}
    owners = [p.email_address for p in hook.iter_permissions(sensed_name) if p.role == "OWNER"]
    assert owners == [lifecycle_dags.NEW_OWNER]

    router_events = asset_event_extras("gemini-tuned-model://dag-test-router/")
    assert [(e["tuned_model"], e["state"]) for e in router_events] == [(tuned_name, "ACTIVE")]
    sensed_events = asset_event_extras("gemini-tuned-model://dag-test-sensed/")
    assert [e["tuned_model"] for e in sensed_events] == [sensed_name]


def test_failed_tuning_fails_the_task_without_retries(
    lifecycle_dags: ModuleType,
    dag_run_emulator: RunningEmulator,
    triggers_run: list[dict[str, Any]],
) -> None:
    dag_run_emulator.set_faults(rate_tuning_failure=1.0)
    dag_run = lifecycle_dags.failure_dag.test(logical_date=LOGICAL_DATE)
    assert str(dag_run.state) == "failed"
    assert task_states_and_tries(dag_run) == {"tune": ("failed", 1)}
    assert len(triggers_run) == 1
    [model] = emulator_hook(dag_run_emulator).iter_tuned_models()
    assert model.state == "FAILED"
