"""Smoke-test every newly promoted support router with a few known prompts.

Scheduled on the ``support-router`` asset: it runs whenever ``tuned_model_pipeline``
publishes a model, and reads which model from the asset event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_tunedmodels.assets import tuned_model_asset
from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator

SUPPORT_ROUTER = tuned_model_asset("support-router")

with DAG(
    dag_id="tuned_model_smoke_test",
    schedule=[SUPPORT_ROUTER],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["tuned-models", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def promoted_model(**context: Any) -> str:
        """The model named by the newest event on the asset that triggered this run.

        A run can consume several events (those published since the previous run, also while
        the DAG was paused), and they come in no particular order.
        """
        events = context["triggering_asset_events"][SUPPORT_ROUTER]
        newest = max(events, key=lambda event: event.timestamp)
        return str(newest.extra["tuned_model"])

    model = promoted_model()
    answers = GenerateContentOperator(
        task_id="generate",
        model=model,
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
