"""Run ``example_dags/vertex_tuning_pipeline.py`` against the bundled emulator and report.

Two days are run: the first publishes a champion, the second tunes a challenger
and compares it with that champion. Datasets are staged through the emulator's
Cloud Storage API and tuned by its Vertex AI ``tuningJobs``. Everything goes to
``.run/vertex/`` (an Airflow home with its SQLite database, the prepared data,
the evaluation results and a chart). The emulator runs as a child process and is
stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pipeline_support import fresh_airflow_home, load_dag, xcom

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".run" / "vertex"
DAG_FILE = ROOT / "example_dags" / "vertex_tuning_pipeline.py"
STAGING = "gs://support-tuning-data/router/"
PROJECT = "emulator-project"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    parser.add_argument("--step-seconds", type=float, default=0.01)
    args = parser.parse_args()
    first_day = datetime.strptime(args.date, "%Y-%m-%d").replace(tzinfo=timezone.utc)

    fresh_airflow_home(
        RUN_DIR,
        DAG_FILE,
        {"VERTEX_PIPELINE_DIR": str(RUN_DIR / "pipeline"), "VERTEX_STAGING_PREFIX": STAGING},
    )
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with run_emulator(step_seconds=args.step_seconds, subprocess=True) as emulator:
        print(f"Emulator: {emulator.base_url} (step {args.step_seconds}s)")
        emulator.put_object(f"{STAGING}README", "staged datasets land here")
        os.environ["AIRFLOW_CONN_VERTEX_AI_TUNING_DEFAULT"] = json.dumps(
            {
                "conn_type": "vertex_ai_tuning",
                "host": emulator.base_url,
                "extra": {
                    "project": PROJECT,
                    "location": "us-central1",
                    "keyfile_dict": json.dumps(emulator.service_account_info()),
                },
            }
        )
        dag = load_dag(DAG_FILE.name)
        runs = []
        for day in (first_day, first_day + timedelta(days=1)):
            print(f"Running {dag.dag_id} for {day:%Y-%m-%d} ...")
            runs.append(dag.test(logical_date=day))
        return _report(dag, runs)


def _report(dag: Any, runs: list[Any]) -> int:
    print("\n=== vertex_tuning_pipeline report ===")
    order = [task.task_id for task in dag.topological_sort()]
    for run in runs:
        states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        print(f"run {run.run_id}: {run.state}")
        for task_id in order:
            print(f"  {task_id:<22} {states.get(task_id)}")
    last = runs[-1]
    _report_job(last)
    _report_evaluation(runs)
    return 0 if all(str(run.state) == "success" for run in runs) else 1


def _report_job(run: Any) -> None:
    job = xcom(run, "tune", "tuning_job") or {}
    if not job:
        return
    print(f"\ntuning job: {job.get('name')}")
    print(
        f"  state {job.get('state')}; created {job.get('createTime')}, started "
        f"{job.get('startTime')}, ended {job.get('endTime')}"
    )
    tuned = job.get("tunedModel") or {}
    print(f"  tuned model {tuned.get('model')}\n  endpoint    {tuned.get('endpoint')}")
    estimate = xcom(run, "tune", "billing_estimate") or {}
    stats = (job.get("tuningDataStats") or {}).get("supervisedTuningDataStats") or {}
    print("billing: estimate before submitting vs the job's data statistics")
    print(
        f"  examples         {estimate.get('example_count'):>10} "
        f"{stats.get('tuningDatasetExampleCount'):>10}"
    )
    print(
        f"  tokens per epoch {estimate.get('tokens_per_epoch'):>10} "
        f"{stats.get('totalBillableTokenCount'):>10}"
    )
    print(
        f"  billable tokens  {estimate.get('total_billable_tokens'):>10} "
        f"(x {estimate.get('epochs')} epochs)"
    )
    print("checkpoints by epoch:")
    for checkpoint in tuned.get("checkpoints") or []:
        print(
            f"  epoch {checkpoint.get('epoch')}: checkpoint {checkpoint.get('checkpointId')} "
            f"at step {checkpoint.get('step')} on {checkpoint.get('endpoint')}"
        )


def _report_evaluation(runs: list[Any]) -> None:
    from airflow_provider_tunedmodels.reporting import text_chart

    first = xcom(runs[0], "evaluate") or {}
    last = xcom(runs[-1], "evaluate") or {}
    if not last:
        return
    decision = xcom(runs[-1], "champion_challenger")
    champion = xcom(runs[0], "publish") or {}
    print(f"\nevaluation on {last['scored']} held-out examples ({last['results_path']}):")
    print(f"  {'metric':<16} {'tuned':>8} {'base':>8} {'champion':>9}")
    for metric in last["metrics"]:
        tuned = last["models"]["tuned"]["scores"][metric]
        base = last["models"].get("baseline", {}).get("scores", {}).get(metric, float("nan"))
        held = champion.get("metrics", {}).get(metric, float("nan"))
        print(f"  {metric:<16} {tuned:>8.3f} {base:>8.3f} {held:>9.3f}")
    print(f"  quality gate: {last['quality_gate']}")
    verdict = "promoted" if decision else "not better than the champion; the champion stays"
    print(f"champion/challenger: {verdict}")
    if first:
        points = [
            (1, float(last["models"]["tuned"]["scores"]["token_f1"])),
            (2, float(last["models"].get("baseline", {}).get("scores", {}).get("token_f1", 0.0))),
            (3, float(champion.get("metrics", {}).get("token_f1", 0.0))),
        ]
        print("token F1 (1 tuned, 2 base, 3 champion):")
        print(text_chart(points, label="model"))


if __name__ == "__main__":
    sys.exit(main())
