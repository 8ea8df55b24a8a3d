"""Supervised tuning first, then preference tuning from its last checkpoint, on Vertex AI.

prepare_dataset → supervised_data → tune_supervised → preference_data → tune_preference

Google recommends this order: teach the task with supervised tuning, then refine the
answers' style with preference (DPO) tuning, continuing from the supervised model's
checkpoint (``pre_tuned_model`` + ``checkpoint_id``). Here each training question has
a preferred answer (the right category) and a dispreferred one (a wrong category).
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.operators.dataset import PrepareTuningDatasetOperator
from airflow_provider_tunedmodels.operators.vertex_tuning import CreateTuningJobOperator

RAW_DATA = Path(__file__).parent / "data" / "support_tickets.jsonl"
WORK_DIR = os.environ.get(
    "VERTEX_PIPELINE_DIR", os.path.join(tempfile.gettempdir(), "vertex_tuning_pipeline")
)
STAGING_PREFIX = os.environ.get("VERTEX_STAGING_PREFIX", "gs://support-tuning-data/router/")
RUN_LABEL = "{{ dag_run.logical_date.strftime('%Y-%m-%d') if dag_run.logical_date else run_id | replace(':', '_') | replace('+', '_') }}"
RUN_DIR = f"{WORK_DIR}/preference/{RUN_LABEL}"

with DAG(
    dag_id="vertex_preference_tuning",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
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
    def supervised_data(train_path: str) -> str:
        """The training split as Vertex supervised JSONL."""
        from airflow_provider_tunedmodels.data import iter_examples
        from airflow_provider_tunedmodels.data.vertex_format import write_supervised_jsonl

        destination = train_path.removesuffix(".jsonl") + ".supervised.jsonl"
        write_supervised_jsonl(iter_examples(train_path), destination)
        return destination

    @task
    def preference_data(train_path: str) -> str:
        """Each question with its category preferred over another category."""
        from airflow_provider_tunedmodels.data import iter_examples
        from airflow_provider_tunedmodels.data.vertex_format import write_preference_jsonl

        examples = list(iter_examples(train_path))
        categories = sorted({example.output for example in examples})

        def pairs() -> Any:
            for example in examples:
                wrong = next(c for c in categories if c != example.output)
                yield {"prompt": example.text_input, "chosen": example.output, "rejected": wrong}

        destination = train_path.removesuffix(".jsonl") + ".preference.jsonl"
        write_preference_jsonl(pairs(), destination)
        return destination

    supervised = CreateTuningJobOperator(
        task_id="tune_supervised",
        training_dataset=supervised_data(prepare.output["train_path"]),
        staging_prefix=STAGING_PREFIX,
        base_model="gemini-2.5-flash",
        hyperparameters={"epoch_count": 2, "adapter_size": 4},
        deferrable=True,
        poll_interval=2,
    )

    preference = CreateTuningJobOperator(
        task_id="tune_preference",
        method="preference",
        training_dataset=preference_data(prepare.output["train_path"]),
        staging_prefix=STAGING_PREFIX,
        pre_tuned_model="{{ ti.xcom_pull(task_ids='tune_supervised', key='tuned_model').split('@')[0] }}",
        checkpoint_id="{{ ti.xcom_pull(task_ids='tune_supervised', key='checkpoints')[-1]['checkpointId'] }}",
        hyperparameters={"epoch_count": 1, "beta": 0.1},
        deferrable=True,
        poll_interval=2,
    )
    supervised >> preference
