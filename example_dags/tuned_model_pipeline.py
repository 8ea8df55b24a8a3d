"""Tune a support-ticket router every day, evaluate it against its base model, then promote it.

prepare_dataset → tune → wait_for_tuning → evaluate (quality gate) → promote → share → publish

* The tuned model's id is derived from the DAG, the task and the logical date, so a
  retry, a rerun or a backfill of a day adopts that day's model instead of tuning a
  second one (``if_exists="reuse"``).
* ``tune`` only submits the job and pushes the model's name to XCom at once (its
  link works while tuning runs); ``wait_for_tuning`` waits in the triggerer, holding
  no worker slot. ``CreateTunedModelOperator(deferrable=True)`` would do both in one
  task; two tasks let a retry of the wait never resubmit anything.
* ``evaluate`` fails the run when the tuned model is not good enough, so nothing
  downstream promotes it.
* ``publish`` emits an event on the ``support-router`` asset; the
  ``tuned_model_smoke_test`` DAG is scheduled on it.

The day's files, display name and model id are derived from the logical date; runs
without one (asset-triggered, or REST-triggered with ``logical_date: null``) use their
run id for the files and the model id, and the day they were due for the names.

Files go to ``$TUNED_MODEL_PIPELINE_DIR`` (default ``<temp dir>/tuned_model_pipeline``); on
a real deployment use an object-store URI such as ``s3://bucket/tuning``.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.assets import tuned_model_asset
from airflow_provider_tunedmodels.operators.dataset import PrepareTuningDatasetOperator
from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator
from airflow_provider_tunedmodels.operators.tuned_model import (
    CreateTunedModelOperator,
    UpdateTunedModelOperator,
)
from airflow_provider_tunedmodels.sensors.tuned_model import TunedModelSensor

BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
RAW_DATA = Path(__file__).parent / "data" / "support_tickets.jsonl"
WORK_DIR = os.environ.get(
    "TUNED_MODEL_PIPELINE_DIR", os.path.join(tempfile.gettempdir(), "tuned_model_pipeline")
)
#: Names a run's files: its logical date's day, or its run id when it has none (asset- or
#: REST-triggered runs with ``logical_date: null``).
RUN_LABEL = "{{ dag_run.logical_date.strftime('%Y-%m-%d') if dag_run.logical_date else run_id | replace(':', '_') | replace('+', '_') }}"
#: The day a run is about: its logical date, or when it was due to run.
RUN_DAY = "{{ (dag_run.logical_date or dag_run.run_after).strftime('%Y-%m-%d') }}"
DAY_DIR = f"{WORK_DIR}/{RUN_LABEL}"
SUPPORT_ROUTER = tuned_model_asset("support-router")

with DAG(
    dag_id="tuned_model_pipeline",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=3,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=10)},
    tags=["tuned-models", "example"],
    doc_md=__doc__,
) as dag:
    prepare = PrepareTuningDatasetOperator(
        task_id="prepare_dataset",
        source=str(RAW_DATA),
        train_path=f"{DAY_DIR}/train.jsonl",
        eval_path=f"{DAY_DIR}/eval.jsonl",
        eval_fraction=0.15,
        drop_invalid=True,  # report bad rows with their line numbers instead of failing
        seed="support-tickets-v1",  # same split on every run and every rerun
    )

    tune = CreateTunedModelOperator(
        task_id="tune",
        base_model=BASE_MODEL,
        training_data=prepare.output["train_path"],
        display_name=f"support router {RUN_DAY}",
        description=f"Routes support tickets to a category. Candidate from {RUN_DAY}.",
        hyperparameters={"epoch_count": 3, "batch_size": 16, "learning_rate": 0.001},
        wait_for_completion=False,
    )

    wait_for_tuning = TunedModelSensor(
        task_id="wait_for_tuning",
        tuned_model_name=tune.output["name"],
        deferrable=True,
        poke_interval=2,
        timeout=6 * 3600,
    )

    evaluate = EvaluateTunedModelOperator(
        task_id="evaluate",
        tuned_model_name=tune.output["name"],
        eval_set=prepare.output["eval_path"],
        results_path=f"{DAY_DIR}/evaluation.jsonl",
        baseline_model=BASE_MODEL,
        generation_config={"temperature": 0.0},
        metric="token_f1",
        min_score=0.8,
        require_improvement=True,
    )

    promote = UpdateTunedModelOperator(
        task_id="promote",
        tuned_model_name=tune.output["name"],
        fields={
            "description": (
                f"Promoted {RUN_DAY}. Token F1 "
                "{{ '%.3f' % ti.xcom_pull(task_ids='evaluate', key='models')['tuned']['scores']['token_f1'] }}"
                " vs base "
                "{{ '%.3f' % ti.xcom_pull(task_ids='evaluate', key='models')['baseline']['scores']['token_f1'] }}."
            ),
            "temperature": 0.2,  # serving defaults for everyone who calls the model
            "top_k": 20,
        },
    )

    share = TunedModelPermissionsOperator(
        task_id="share_with_support_team",
        tuned_model_name=tune.output["name"],
        action="grant",
        grantee_type="GROUP",
        email_address="support-team@googlegroups.com",
        role="READER",
    )

    @task(outlets=[SUPPORT_ROUTER])
    def publish(name: str, models: dict[str, Any], **context: Any) -> str:
        """Announce the promoted model to DAGs scheduled on the ``support-router`` asset."""
        scores = models["tuned"]["scores"]
        context["outlet_events"][SUPPORT_ROUTER].extra = {"tuned_model": name, "scores": scores}
        return name

    # prepare → tune and prepare → evaluate follow from the XComs they use.
    wait_for_tuning >> evaluate >> promote >> share
    share >> publish(tune.output["name"], evaluate.output["models"])
