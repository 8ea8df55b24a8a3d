"""Smoke-test every new champion of the Vertex AI support router on its endpoint.

Scheduled on the ``support-router-vertex`` asset: it runs whenever
``vertex_tuning_pipeline`` publishes a champion, and reads the endpoint from the
asset event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.assets import vertex_tuned_model_asset
from airflow_provider_tunedmodels.operators.vertex_models import VertexGenerateContentOperator

CHAMPION = vertex_tuned_model_asset("support-router-vertex")

with DAG(
    dag_id="vertex_tuning_smoke_test",
    schedule=[CHAMPION],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["tuned-models", "vertex-ai", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def champion_endpoint(**context: Any) -> str:
        """The endpoint named by the newest event on the asset that triggered this run."""
        events = context["triggering_asset_events"][CHAMPION]
        return str(events[-1].extra["endpoint"])

    answers = VertexGenerateContentOperator(
        task_id="generate",
        model=champion_endpoint(),
        prompt=[
            "My parcel has not arrived and the tracking page has not changed for a week.",
            "I was charged twice for the same order, please refund one of the payments.",
        ],
        generation_config={"temperature": 0.0, "max_output_tokens": 16},
    )

    @task
    def check(texts: list[str]) -> None:
        """Fail when the model answers nothing."""
        if not all(text.strip() for text in texts):
            raise ValueError(f"empty answer among {texts!r}")
        print("Smoke test answers:", texts)

    check(answers.output)
