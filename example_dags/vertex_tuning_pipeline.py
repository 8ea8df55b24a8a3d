"""Tune a support-ticket router on Vertex AI, and publish it only if it beats the champion.

prepare_dataset → to_vertex_format → tune → evaluate → champion_challenger → promote → publish

* ``prepare_dataset`` validates, de-duplicates and splits the shipped tickets;
  ``to_vertex_format`` writes the training split as Vertex supervised JSONL
  (``contents`` with user and model turns).
* ``tune`` stages that file in Cloud Storage (content hash in the object name, so a
  rerun uploads nothing), estimates the billable tokens and refuses to submit above
  the budget, creates the tuning job -- or re-attaches to the one this run already
  has, so a retry, rerun or backfill never bills a second job -- pushes the job's
  console link, and waits in the triggerer without holding a worker slot. A FAILED,
  CANCELLED or EXPIRED job fails the task with the job's error.
* ``evaluate`` asks the tuned endpoint and the base model the held-out questions
  and fails the run when the tuned model is not good enough.
* ``champion_challenger`` compares the score with the champion's, read from the
  last event of the ``support-router-vertex`` asset; only a better model goes on.
* ``promote`` labels the model in the Model Registry; ``publish`` emits the asset
  event (model@version, endpoint, checkpoint and scores) that
  ``vertex_tuning_smoke_test`` is scheduled on.

Runs without a logical date (asset-triggered, or REST-triggered with
``logical_date: null``) work too: their files are named after the run id.

Environment: ``VERTEX_PIPELINE_DIR`` (work files; default in the temp dir; an
object-store URI on a real deployment) and ``VERTEX_STAGING_PREFIX`` (``gs://`` prefix
for the staged dataset).
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.assets import vertex_tuned_model_asset
from airflow_provider_tunedmodels.operators.dataset import PrepareTuningDatasetOperator
from airflow_provider_tunedmodels.operators.vertex_models import (
    UpdateVertexModelOperator,
    VertexEvaluateOperator,
)
from airflow_provider_tunedmodels.operators.vertex_tuning import CreateTuningJobOperator

BASE_MODEL = "gemini-2.5-flash"
RAW_DATA = Path(__file__).parent / "data" / "support_tickets.jsonl"
WORK_DIR = os.environ.get(
    "VERTEX_PIPELINE_DIR", os.path.join(tempfile.gettempdir(), "vertex_tuning_pipeline")
)
STAGING_PREFIX = os.environ.get("VERTEX_STAGING_PREFIX", "gs://support-tuning-data/router/")
#: Names a run: its logical date's day, or its run id when it has none.
RUN_LABEL = "{{ dag_run.logical_date.strftime('%Y-%m-%d') if dag_run.logical_date else run_id | replace(':', '_') | replace('+', '_') }}"
#: One folder per run.
RUN_DIR = f"{WORK_DIR}/{RUN_LABEL}"
CHAMPION = vertex_tuned_model_asset("support-router-vertex")
#: The metric the quality gate and the champion comparison use.
METRIC = "token_f1"

with DAG(
    dag_id="vertex_tuning_pipeline",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=3,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=10)},
    tags=["tuned-models", "vertex-ai", "example"],
    doc_md=__doc__,
) as dag:
    prepare = PrepareTuningDatasetOperator(
        task_id="prepare_dataset",
        source=str(RAW_DATA),
        train_path=f"{RUN_DIR}/train.jsonl",
        eval_path=f"{RUN_DIR}/eval.jsonl",
        eval_fraction=0.15,
        drop_invalid=True,
        seed="support-tickets-v1",
    )

    @task
    def to_vertex_format(train_path: str) -> str:
        """Write the training split as Vertex supervised JSONL; return its path."""
        from airflow_provider_tunedmodels.data import iter_examples
        from airflow_provider_tunedmodels.data.vertex_format import write_supervised_jsonl

        destination = train_path.removesuffix(".jsonl") + ".vertex.jsonl"
        count = write_supervised_jsonl(
            iter_examples(train_path),
            destination,
            system_instruction="Answer with the ticket's category only.",
        )
        print(f"{count} examples in Vertex supervised format at {destination}")
        return destination

    tune = CreateTuningJobOperator(
        task_id="tune",
        training_dataset=to_vertex_format(prepare.output["train_path"]),
        staging_prefix=STAGING_PREFIX,
        base_model=BASE_MODEL,
        display_name=f"support router {RUN_LABEL}",
        description="Routes support tickets to a category.",
        labels={"team": "support", "pipeline": "vertex_tuning_pipeline"},
        hyperparameters={"epoch_count": 3, "adapter_size": 4},
        max_billable_tokens=2_000_000,  # the cost guard: refuse to submit above this
        max_dropped_examples=0,
        model_family="support-router-vertex-candidates",
        deferrable=True,
        poll_interval=2,
        timeout=6 * 3600,
    )

    evaluate = VertexEvaluateOperator(
        task_id="evaluate",
        tuned_model_name=tune.output["endpoint"],
        baseline_model=BASE_MODEL,
        eval_set=prepare.output["eval_path"],
        results_path=f"{RUN_DIR}/evaluation.jsonl",
        generation_config={"temperature": 0.0},
        metric=METRIC,
        min_score=0.8,
        require_improvement=True,
    )

    @task.short_circuit(inlets=[CHAMPION])
    def champion_challenger(models: dict[str, Any], **context: Any) -> dict[str, Any] | None:
        """Go on only if the new model beats the champion last published on the asset."""
        challenger = float(models["tuned"]["scores"][METRIC])
        champion = _last_champion(context["inlet_events"][CHAMPION])
        print(f"challenger {METRIC} {challenger:.3f}; champion {champion}")
        if champion is not None and challenger <= champion["metrics"][METRIC]:
            print("The champion stays: nothing is promoted.")
            return None
        return {"challenger": challenger, "champion": champion}

    def _last_champion(events: Any) -> dict[str, Any] | None:
        try:
            return dict(events[-1].extra)
        except IndexError:
            return None

    decision = champion_challenger(evaluate.output["models"])

    promote = UpdateVertexModelOperator(
        task_id="promote",
        model_name="{{ ti.xcom_pull(task_ids='tune', key='tuned_model').split('@')[0] }}",
        description=f"Champion since {RUN_LABEL}: token F1 {{{{ '%.3f' % "
        "ti.xcom_pull(task_ids='evaluate', key='models')['tuned']['scores']['token_f1'] }}.",
        labels={"team": "support", "stage": "champion"},
    )

    @task(outlets=[CHAMPION])
    def publish(job: dict[str, Any], models: dict[str, Any], **context: Any) -> dict[str, Any]:
        """Announce the new champion to DAGs scheduled on the asset."""
        extra = {
            "tuned_model": job["tuned_model"],
            "endpoint": job["endpoint"],
            "checkpoint": (job["checkpoints"] or [{}])[-1].get("checkpointId"),
            "metrics": models["tuned"]["scores"],
        }
        context["outlet_events"][CHAMPION].extra = extra
        return extra

    decision >> promote
    promote >> publish(
        {
            "tuned_model": tune.output["tuned_model"],
            "endpoint": tune.output["endpoint"],
            "checkpoints": tune.output["checkpoints"],
        },
        evaluate.output["models"],
    )
