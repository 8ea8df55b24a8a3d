"""Delete tuned models that are FAILED or older than a retention period, keeping the newest promoted one.

list_candidates → delete (one mapped task per model)

``tuned_model_pipeline`` marks a promoted model by starting its description with
"Promoted". Models shared with you but owned by others are never touched: the
listing asks only for models you own (``owner:me``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_tunedmodels.operators.tuned_model import DeleteTunedModelOperator

with DAG(
    dag_id="tuned_model_housekeeping",
    schedule="@daily",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    params={"retention_days": Param(14, type="integer", minimum=0)},
    tags=["tuned-models", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def list_candidates(**context: Any) -> list[str]:
        """Names of the models to delete, decided from one listing."""
        from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

        retention = timedelta(days=context["params"]["retention_days"])
        cutoff = datetime.now(timezone.utc) - retention
        models = list(GeminiTunedModelsHook().iter_tuned_models(filter="owner:me"))
        promoted = [
            m for m in models if m.is_active and (m.description or "").startswith("Promoted")
        ]
        keep = max(promoted, key=lambda m: m.create_time or cutoff, default=None)
        doomed = [
            m.name
            for m in models
            if m is not keep
            and m.name
            and (m.is_failed or (m.create_time and m.create_time < cutoff))
        ]
        print(
            f"{len(models)} tuned models; keeping {keep.name if keep else 'none'}; deleting {len(doomed)}"
        )
        return doomed

    # One task instance per model: a failure to delete one does not hide the others.
    DeleteTunedModelOperator.partial(task_id="delete", ignore_if_missing=True).expand(
        tuned_model_name=list_candidates()
    )
