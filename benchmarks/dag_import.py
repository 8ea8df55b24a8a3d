"""How much importing an example DAG costs beyond Airflow's own ``airflow.sdk``.

DAG files are parsed again and again by the DAG processor, so the provider's
operator modules must stay cheap to import: they load the hook, httpx, pydantic
models and google-auth only when a task runs. For each example DAG this runs
fresh interpreters and prints the median wall time of ``import airflow.sdk``
alone, of importing the DAG file, the difference (the DAG's own cost), and
which heavy modules the DAG import loaded.

    .venv/bin/python benchmarks/dag_import.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HEAVY = [
    "httpx",
    "google.auth",
    "airflow_provider_tunedmodels.hooks.tuned_models",
    "airflow_provider_tunedmodels.models.tuned_model",
    "airflow_provider_tunedmodels.core.http",
]
PROBE = f"""
import json, runpy, sys, time
started = time.perf_counter()
import airflow.sdk
sdk_seconds = time.perf_counter() - started
before = set(sys.modules)
started = time.perf_counter()
runpy.run_path(sys.argv[1])
dag_seconds = time.perf_counter() - started
added = set(sys.modules) - before
print(json.dumps({{"sdk": sdk_seconds, "dag": dag_seconds, "modules": len(added),
                  "heavy": [m for m in {HEAVY!r} if m in added]}}))
"""


def measure(dag_file: Path, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        args = [sys.executable, "-c", PROBE, str(dag_file)]
        out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "sdk": statistics.median(r["sdk"] for r in runs),
        "dag": statistics.median(r["dag"] for r in runs),
        "modules": runs[-1]["modules"],
        "heavy": runs[-1]["heavy"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dag-import-bench-")
    env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    env["PYTHONPATH"] = str(ROOT)
    print(
        f"{'DAG file':<30} {'airflow.sdk ms':>14} {'DAG file ms':>12} {'ratio':>6} {'new modules':>12}  heavy"
    )
    for dag_file in sorted((ROOT / "example_dags").glob("*.py")):
        m = measure(dag_file, args.repeat, env)
        sdk, dag = float(m["sdk"]), float(m["dag"])
        print(
            f"{dag_file.name:<30} {sdk * 1000:14.1f} {dag * 1000:12.1f} {dag / sdk:6.2f} "
            f"{m['modules']:>12}  {', '.join(m['heavy']) or 'none'}"
        )
    print("ratio = DAG file import (provider operators included) / import airflow.sdk; medians.")


if __name__ == "__main__":
    main()
