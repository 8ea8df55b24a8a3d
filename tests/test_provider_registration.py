"""Airflow discovers the provider through its entry point, as a user's installation would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GEMINI_CONNECTION

ROOT = Path(__file__).resolve().parents[1]


def airflow_cli(*args: str, home: Path) -> str:
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def test_airflow_providers_list_shows_the_provider(tmp_path: Path) -> None:
    providers = json.loads(airflow_cli("providers", "list", "-o", "json", home=tmp_path))
    ours = [p for p in providers if p["package_name"] == "airflow-provider-tunedmodels"]
    assert len(ours) == 1
    assert ours[0]["version"] == "0.1.0"


def test_the_providers_manager_registers_the_hook_and_the_extra_link() -> None:
    """What ``airflow providers hooks`` and ``airflow providers links`` list, read in-process."""
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    hook = manager.hooks["gemini_tuned_models"]
    assert hook is not None
    assert hook.hook_class_name == (
        "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook"
    )
    assert hook.package_name == "airflow-provider-tunedmodels"
    assert "airflow_provider_tunedmodels.links.TunedModelLink" in manager.extra_links_class_names
    assert "airflow_provider_tunedmodels.links.TuningJobLink" in manager.extra_links_class_names
    vertex = manager.hooks["vertex_ai_tuning"]
    assert vertex is not None
    assert vertex.hook_class_name == (
        "airflow_provider_tunedmodels.hooks.vertex_ai.VertexTuningJobsHook"
    )


def test_the_api_key_is_registered_with_airflows_secrets_masker() -> None:
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    key = "AIzaSy-masked-in-task-logs-0042"

    class Conn:
        conn_id = "gemini"
        host = None
        password = key
        extra_dejson: dict[str, str] = {}

    ClientSettings.from_connection(Conn(), GEMINI_CONNECTION)
    assert _secrets_masker().redact(f"calling with {key}") == "calling with ***"


#: Modules a DAG file imports, which must not load the HTTP stack (only a running task does).
OPERATOR_MODULES = ("operators.tuned_model", "operators.evaluate", "sensors.tuned_model")
#: Module prefixes of the HTTP stack: google-auth, the hook, the REST client, the wire models.
HTTP_STACK = (
    "google.auth",
    "airflow_provider_tunedmodels.hooks",
    "airflow_provider_tunedmodels.core.http",
    "airflow_provider_tunedmodels.models.gemini.tuned_model",
    "airflow_provider_tunedmodels.models.tuned_model",
)
#: What parsing a DAG file must not load: the hooks, the HTTP client and the pydantic wire
#: models (operators check their arguments without them; they load when a task runs).
RUNTIME_STACK = (
    "airflow_provider_tunedmodels.hooks.",
    "airflow_provider_tunedmodels.core.http",
    "airflow_provider_tunedmodels.core.auth",
    *(
        f"airflow_provider_tunedmodels.models.gemini.{wire}"
        for wire in ("model", "operation", "permission", "tuned_model")
    ),
    "airflow_provider_tunedmodels.models.generation",
    "airflow_provider_tunedmodels.models.vertex.model",
    "airflow_provider_tunedmodels.models.vertex.operation",
    "airflow_provider_tunedmodels.models.vertex.tuning_job",
    "airflow_provider_tunedmodels.data",
)
# One fresh interpreter for all targets (provider modules, or DAG files it runs): whatever one
# of them loads stays loaded, so each is charged with what it added, and anything of the stack
# looked for shows up under its culprit.
_IMPORT_PROBE = """
import importlib, json, runpy, sys
import airflow.sdk
added = {}
for target in sys.argv[1:]:
    before = set(sys.modules)
    if target.endswith(".py"):
        runpy.run_path(target)
    else:
        importlib.import_module("airflow_provider_tunedmodels." + target)
    added[target] = sorted(m for m in set(sys.modules) - before if m.startswith(%r))
print(json.dumps(added))
"""


def test_operator_modules_do_not_import_the_http_stack() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE % (HTTP_STACK,), *OPERATOR_MODULES],
        capture_output=True,
        text=True,
        check=True,
    )
    added = json.loads(out.stdout.strip().splitlines()[-1])
    assert added == {module: [] for module in OPERATOR_MODULES}


def test_parsing_every_example_dag_file_loads_no_hook_client_or_wire_model(
    tmp_path: Path,
) -> None:
    dag_files = sorted(str(path) for path in (ROOT / "example_dags").glob("*.py"))
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE % (RUNTIME_STACK,), *dag_files],
        capture_output=True,
        text=True,
        env={**os.environ, "AIRFLOW_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    added = json.loads(out.stdout.strip().splitlines()[-1])
    assert added == {path: [] for path in dag_files}
