"""Parsing a DAG file loads none of the provider's runtime stack.

The DAG processor parses DAG files again and again; building the operators must
check their arguments without the hooks, the HTTP client or the pydantic wire
models, which load only when a task runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Module prefixes that parsing a DAG file must not load.
RUNTIME_STACK = (
    "airflow_provider_tunedmodels.hooks.",
    "airflow_provider_tunedmodels.core.http",
    "airflow_provider_tunedmodels.core.auth",
    "airflow_provider_tunedmodels.models.gemini.",
    "airflow_provider_tunedmodels.models.vertex.model",
    "airflow_provider_tunedmodels.models.vertex.operation",
    "airflow_provider_tunedmodels.models.vertex.tuning_job",
    "airflow_provider_tunedmodels.data",
)

PROBE = """
import json, runpy, sys
loaded = {}
for path in sys.argv[1:]:
    before = set(sys.modules)
    runpy.run_path(path)
    loaded[path] = sorted(set(sys.modules) - before)
print(json.dumps(loaded))
"""


def test_parsing_every_example_dag_file_loads_no_hook_client_or_wire_model(
    tmp_path: Path,
) -> None:
    dag_files = sorted(str(path) for path in (ROOT / "example_dags").glob("*.py"))
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *dag_files],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    assert set(loaded) == set(dag_files)
    offenders = {
        Path(path).name: [name for name in names if name.startswith(RUNTIME_STACK)]
        for path, names in loaded.items()
    }
    assert offenders == {Path(path).name: [] for path in dag_files}
