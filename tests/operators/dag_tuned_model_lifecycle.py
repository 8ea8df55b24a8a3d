"""DAGs that ``test_tuned_model_dag_runs`` copies into the dags folder and runs with ``dag.test()``.

``tuned_model_lifecycle`` uses every lifecycle operator and the sensor, deferrable
and not; ``tuned_model_failure`` tunes once in the triggerer, for a run in which
the emulator fails every tuning job.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_tunedmodels.assets import tuned_model_asset
from airflow_provider_tunedmodels.operators.tuned_model import (
    CreateTunedModelOperator,
    DeleteTunedModelOperator,
    TransferTunedModelOwnershipOperator,
    UpdateTunedModelOperator,
)
from airflow_provider_tunedmodels.sensors import TunedModelSensor

BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
ROUTER_FAMILY = "dag-test-router"
SENSED_FAMILY = "dag-test-sensed"
NEW_OWNER = "colleague@example.com"
START = pendulum.datetime(2024, 1, 1, tz="UTC")


def pull(task_id: str, key: str) -> str:
    return f"{{{{ ti.xcom_pull(task_ids='{task_id}', key='{key}') }}}}"


with DAG(
    dag_id="tuned_model_lifecycle",
    schedule=None,
    start_date=START,
    params={"train_path": Param("", type="string")},
    render_template_as_native_obj=True,
) as lifecycle_dag:

    @task
    def make_records() -> list[dict[str, Any]]:
        return [{"prompt": f"ticket {n}", "completion": f"queue {n % 3}"} for n in range(12)]

    tune = CreateTunedModelOperator(
        task_id="tune",
        base_model=BASE_MODEL,
        display_name="router {{ ds }}",
        training_data="{{ params.train_path }}",
        model_family=ROUTER_FAMILY,
        deferrable=True,
        poll_interval=0.05,
        timeout=120,
    )
    describe = UpdateTunedModelOperator(
        task_id="describe",
        tuned_model_name=pull("tune", "tuned_model_name"),
        fields={"description": "trained for {{ ds }}"},
    )
    drop = DeleteTunedModelOperator(
        task_id="drop", tuned_model_name=pull("tune", "tuned_model_name")
    )
    tune >> describe >> drop

    tune_on_worker = CreateTunedModelOperator(
        task_id="tune_on_worker",
        tuned_model_id="worker-{{ ds_nodash }}",
        base_model=BASE_MODEL,
        training_data=make_records(),
        deferrable=False,
        poll_interval=0.05,
        timeout=120,
    )

    start = CreateTunedModelOperator(
        task_id="start",
        base_model=BASE_MODEL,
        training_data=make_records(),
        hyperparameters={"epoch_count": 1000},
        wait_for_completion=False,
    )
    wait = TunedModelSensor(
        task_id="wait",
        tuned_model_name=pull("start", "tuned_model_name"),
        operation_name=pull("start", "operation_name"),
        deferrable=True,
        poke_interval=0.05,
        timeout=120,
        outlets=[tuned_model_asset(SENSED_FAMILY)],
    )
    hand_over = TransferTunedModelOwnershipOperator(
        task_id="hand_over",
        tuned_model_name=pull("start", "tuned_model_name"),
        email_address=NEW_OWNER,
    )
    # Nothing else can run between ``start`` and ``wait``, so the sensor finds the model
    # still tuning (its 3,000 steps take 6 s in the emulator) and defers.
    [drop, tune_on_worker] >> start >> wait >> hand_over


with DAG(dag_id="tuned_model_failure", schedule=None, start_date=START) as failure_dag:
    CreateTunedModelOperator(
        task_id="tune",
        base_model=BASE_MODEL,
        training_data=[{"input": f"q{n}", "output": f"a{n}"} for n in range(12)],
        deferrable=True,
        poll_interval=0.05,
        timeout=120,
        retries=2,
    )
