"""Share, query and evaluate a tuned model: the DAG run by ``test_model_usage_dag.py``.

The tuned model and the results file come from the run's conf (``params``), so
the same file serves any emulator the test starts.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator
from airflow_provider_tunedmodels.operators.generate import GenerateContentOperator
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator

DAG_ID = "tunedmodels_use_tuned_model"
TRAINING = [("my invoice is wrong", "billing"), ("the app crashes", "technical")]

with DAG(
    dag_id=DAG_ID,
    schedule=None,
    catchup=False,
    params={"tuned_model": Param("tunedModels/x", type="string"), "results_path": Param("")},
) as dag:

    @task
    def evaluation_set() -> list[dict[str, str]]:
        return [{"text_input": text, "output": output} for text, output in TRAINING]

    share = TunedModelPermissionsOperator(
        task_id="share",
        tuned_model_name="{{ params.tuned_model }}",
        action="grant",
        role="READER",
        email_address="reviewer@example.com",
    )
    ask = GenerateContentOperator(
        task_id="ask",
        model="{{ params.tuned_model }}",
        prompt=[text for text, _ in TRAINING],
        include_usage=True,
    )
    evaluate = EvaluateTunedModelOperator(
        task_id="evaluate",
        tuned_model_name="{{ params.tuned_model }}",
        eval_set=evaluation_set(),
        results_path="{{ params.results_path }}",
        min_score=0.9,
        max_concurrency=2,
    )
    share >> ask >> evaluate
