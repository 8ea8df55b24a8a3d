"""Run ``example_dags/tuned_model_pipeline.py`` once against the bundled emulator and report.

Everything it writes goes to ``.run/gemini/`` in the repository (an Airflow home with its
SQLite database, the prepared data, the evaluation results, a loss chart and an evaluation
chart), so the results can be inspected afterwards; the Vertex AI runner's ``.run/vertex/``
is left alone. The emulator runs as a child process and is stopped at the end, whatever
happens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipeline_support import fresh_airflow_home, load_dag, xcom

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".run" / "gemini"
DAG_FILE = ROOT / "example_dags" / "tuned_model_pipeline.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    parser.add_argument("--step-seconds", type=float, default=0.02)
    args = parser.parse_args()
    logical_date = datetime.strptime(args.date, "%Y-%m-%d").replace(tzinfo=timezone.utc)

    fresh_airflow_home(RUN_DIR, DAG_FILE, {"TUNED_MODEL_PIPELINE_DIR": str(RUN_DIR / "pipeline")})

    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with run_emulator(step_seconds=args.step_seconds, subprocess=True) as emulator:
        print(f"Emulator: {emulator.base_url} (step {args.step_seconds}s)")
        os.environ["AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT"] = json.dumps(
            {
                "conn_type": "gemini_tuned_models",
                "host": emulator.base_url,
                "password": emulator.api_key,
            }
        )
        dag = load_dag(DAG_FILE.name)
        print(f"Running {dag.dag_id} for {args.date} ...")
        dag_run = dag.test(logical_date=logical_date)
        return _report(dag, dag_run)


def _report(dag: Any, dag_run: Any) -> int:
    from airflow_provider_tunedmodels.reporting import (
        evaluation_figure,
        loss_by_epoch,
        loss_figure,
        tasks_in_dag_order,
        text_chart,
        write_chart,
    )

    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    print("\n=== tuned_model_pipeline report ===")
    print(f"run {dag_run.run_id}: {dag_run.state}")
    for task_id, state in tasks_in_dag_order(dag, states):
        print(f"  {task_id:<26} {state}")
    prepared = xcom(dag_run, "prepare_dataset") or {}
    if prepared:
        print(
            f"dataset: {prepared['rows_read']} rows, {prepared['invalid']} invalid, "
            f"{prepared['duplicates_removed']} duplicates → {prepared['train_count']} train / "
            f"{prepared['eval_count']} eval"
        )
    model = xcom(dag_run, "wait_for_tuning") or {}
    if model:
        print(f"tuned model: {model.get('name')} ({model.get('state')})")
        points = loss_by_epoch(model.get("tuningTask", {}).get("snapshots", []))
        print("mean loss by epoch:")
        print(text_chart(points))
        title = f"Mean training loss by epoch\n{model.get('name')}"
        chart = write_chart(loss_figure(points, title=title), RUN_DIR / "loss_by_epoch.png")
        print(f"loss chart: {chart}")
    evaluation = xcom(dag_run, "evaluate") or {}
    if evaluation:
        print(
            f"evaluation on {evaluation['scored']} held-out examples ({evaluation['results_path']}):"
        )
        models = evaluation["models"]
        print(f"  {'metric':<16} {'tuned':>8} {'base':>8}")
        for metric in evaluation["metrics"]:
            tuned = models["tuned"]["scores"][metric]
            base = models.get("baseline", {}).get("scores", {}).get(metric, float("nan"))
            print(f"  {metric:<16} {tuned:>8.3f} {base:>8.3f}")
        print(f"  quality gate: {evaluation['quality_gate']}")
        chart = write_chart(evaluation_figure(evaluation), RUN_DIR / "evaluation.png")
        print(f"evaluation chart: {chart}")
    published = xcom(dag_run, "publish")
    print(f"published to the support-router asset: {published}")
    return 0 if str(dag_run.state) == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
