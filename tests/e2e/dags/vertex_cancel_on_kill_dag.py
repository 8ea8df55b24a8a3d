"""A Vertex AI tuning task that cancels its job when a user kills it while it is deferred.

``tune`` creates a long tuning job (many epochs, so it is still running when the test acts),
pushes the job's name, then defers to a ``TuningJobTrigger`` with ``cancel_on_kill=True``.
Marking the deferred task failed (or success, or clearing it) makes Airflow 3.3 cancel the
trigger with a user-action message, and the triggerer then calls the trigger's ``on_kill``,
which asks Vertex AI to cancel the job.

The training data is read from ``gs://`` (the ``training_dataset`` param), so nothing is staged;
the end-to-end test stores it in the emulator before triggering a run.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_tunedmodels.operators.vertex_tuning import CreateTuningJobOperator

DAG_ID = "e2e_vertex_cancel_on_kill"
#: Where the end-to-end test stores the training data (Vertex supervised JSONL).
TRAINING_DATASET = "gs://e2e-tuning-data/cancel-on-kill/train.jsonl"
#: Enough epochs for the job to outlast the test's kill by far.
EPOCHS = 100

with DAG(
    dag_id=DAG_ID,
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"training_dataset": Param(TRAINING_DATASET, type="string")},
    tags=["e2e"],
):
    CreateTuningJobOperator(
        task_id="tune",
        training_dataset="{{ params.training_dataset }}",
        base_model="gemini-2.5-flash",
        display_name="cancel on kill {{ run_id }}",
        hyperparameters={"epoch_count": EPOCHS},
        deferrable=True,
        cancel_on_kill=True,
        poll_interval=2,
        retries=0,
    )
