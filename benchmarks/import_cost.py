"""P1: what importing the provider costs on top of Airflow's own ``airflow.sdk``.

The DAG processor parses DAG files again and again, so the operator, sensor and
trigger modules must stay cheap to import: they load the hook, httpx, pydantic
models and google-auth only when a task runs. A probe interpreter imports
``airflow.sdk`` (timed: the anchor), then forks once per target, and each child
times the import of one module of ``operators``, ``sensors`` or ``triggers``, or
runs one example DAG file. Medians over ``--repeat`` probes.

A second anchor is Google's provider (``apache-airflow-providers-google``): its
Vertex AI tuning operator module imported the same way, by another interpreter,
since it does not belong in this environment: ``--google-python`` (or
``$TUNEDMODELS_BENCH_GOOGLE_PYTHON``), else an environment of its own that a full
run makes once (``.ci/side_env.py google-provider``). A quick run, or one where it
cannot be installed, prints a skip note with the reason.

    .venv/bin/python benchmarks/import_cost.py [--repeat 5] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import ROOT, Figure, child_environment, emit, median

PACKAGE = "airflow_provider_tunedmodels"
#: Modules whose presence after an import means it pulled in the runtime stack.
HEAVY = ["httpx", "google.auth", "pydantic", f"{PACKAGE}.hooks.gemini", f"{PACKAGE}.hooks.base"]
#: Google's tuning operator modules, newest layout first.
GOOGLE_MODULES = [
    "airflow.providers.google.cloud.operators.vertex_ai.generative_model",
    "airflow.providers.google.cloud.operators.vertex_ai.supervised_fine_tuning",
]
GOOGLE_PYTHON_ENV = "TUNEDMODELS_BENCH_GOOGLE_PYTHON"
#: Goal on a DAG file's or a module's own cost divided by ``import airflow.sdk``.
SDK_GOAL = "<= 0.10"
#: Goal on a DAG file's own cost divided by that of Google's tuning operator module.
GOOGLE_GOAL = "<= 1.00"
#: Ceilings: importing every operator, sensor and trigger module at once (what a triggerer
#: or a worker may load), and what one DAG file imports from the provider (what the DAG
#: processor loads), both beyond ``airflow.sdk``.
ALL_MODULES_CEILING_MS = 40.0
DAG_IMPORTS_CEILING_MS = 30.0

PROBE = """
import json, os, runpy, sys, time
started = time.perf_counter()
import airflow.sdk
result = {"sdk": time.perf_counter() - started, "targets": {}}
for target in json.loads(sys.argv[1]):
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        before = set(sys.modules)
        started = time.perf_counter()
        try:
            if target.endswith(".py"):
                runpy.run_path(target)
            elif target.startswith("exec:"):
                exec(target[len("exec:"):], {})
            else:
                for module in target.split("+"):
                    __import__(module)
            report = {"seconds": time.perf_counter() - started,
                      "heavy": [m for m in json.loads(sys.argv[2]) if m in sys.modules
                                and m not in before]}
        except Exception as error:
            report = {"error": f"{type(error).__name__}: {error}"}
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.wait()
    result["targets"][target] = json.loads(b"".join(chunks))
print(json.dumps(result))
"""


def airflow_floor(operator_classes: int) -> str:
    """Source of what Airflow itself costs a provider with ``operator_classes`` operators.

    Its base trigger module (every trigger module subclasses it; a triggerer has it loaded
    before any trigger) and as many empty ``BaseOperator`` subclasses (Airflow's metaclass
    wraps each ``__init__``).
    """
    classes = "".join(
        f"class Operator{n}(BaseOperator):\n"
        '    template_fields = ("value",)\n'
        "    def __init__(self, *, value=None, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.value = value\n"
        for n in range(operator_classes)
    )
    return f"import airflow.triggers.base\nfrom airflow.sdk import BaseOperator\n{classes}"


def operator_class_count() -> int:
    """How many operator and sensor classes the provider's operators and sensors define."""
    count = 0
    for package in ("operators", "sensors"):
        for path in (ROOT / PACKAGE / package).glob("*.py"):
            tree = ast.parse(path.read_text())
            count += sum(
                1
                for node in tree.body
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Operator", "Sensor"))
            )
    return count


def provider_modules() -> list[str]:
    """Every module of the provider's operators, sensors and triggers packages."""
    modules = []
    for package in ("operators", "sensors", "triggers"):
        for path in sorted((ROOT / PACKAGE / package).glob("*.py")):
            if path.stem != "__init__":
                modules.append(f"{PACKAGE}.{package}.{path.stem}")
    return modules


def dag_files() -> list[str]:
    return [str(path) for path in sorted((ROOT / "example_dags").glob("*.py"))]


def provider_imports(dag_file: str) -> str:
    """The module-level import statements of ``dag_file`` that name the provider, as one text.

    Imports inside task functions run on a worker, not when the DAG processor parses the file.
    """
    tree = ast.parse(Path(dag_file).read_text())
    statements = [
        node
        for node in tree.body
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE))
        or (
            isinstance(node, ast.Import)
            and any(alias.name.startswith(PACKAGE) for alias in node.names)
        )
    ]
    return "\n".join(ast.unparse(statement) for statement in statements)


def probe(python: str, targets: list[str], repeat: int, env: dict[str, str]) -> dict[str, Any]:
    """Median seconds of ``import airflow.sdk`` and of each target on top of it."""
    runs = []
    for _ in range(repeat):
        command = [python, "-c", PROBE, json.dumps(targets), json.dumps(HEAVY)]
        completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr.strip().splitlines()[-1])
        runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    result: dict[str, Any] = {"sdk": median(r["sdk"] for r in runs), "targets": {}}
    for target in targets:
        reports = [r["targets"][target] for r in runs]
        if "error" in reports[0]:
            result["targets"][target] = reports[0]
        else:
            seconds = median(r["seconds"] for r in reports)
            result["targets"][target] = {"seconds": seconds, "heavy": reports[-1]["heavy"]}
    return result


def google_provider_python(quick: bool) -> tuple[str | None, str]:
    """An interpreter with Google's provider, from its side environment, or why there is none.

    A full run makes the environment once (``.ci/side_env.py google-provider``, kept in the
    user's cache for every later run); a quick run does not wait for that.
    """
    if quick:
        return None, (
            "Google's provider is not installed here; a full run installs it in an environment "
            "of its own (.ci/side_env.py google-provider), or name one with --google-python"
        )
    made = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "side_env.py"), "google-provider"],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        reason = (made.stderr.strip().splitlines() or ["no reason given"])[-1]
        return None, f"Google's provider could not be installed: {reason}"
    return made.stdout.strip().splitlines()[-1], ""


def google_anchor(python: str | None, repeat: int, quick: bool) -> tuple[float | None, str]:
    """Seconds Google's tuning operator module costs on top of ``airflow.sdk``, or why not."""
    if not python:
        python, why_not = google_provider_python(quick)
        if not python:
            return None, why_not
    for module in GOOGLE_MODULES:
        with tempfile.TemporaryDirectory(prefix="import-cost-google-") as home:
            env = {**os.environ, "AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
            try:
                report = probe(python, [module], repeat, env)["targets"][module]
            except RuntimeError as error:
                return None, f"Google's provider could not be imported: {error}"
        if "seconds" in report:
            return float(report["seconds"]), f"anchor module: {module}"
    return None, "no Vertex AI tuning operator module found in Google's provider"


def measure(repeat: int, quick: bool, google_python: str | None) -> list[Figure]:
    files, modules = dag_files(), provider_modules()
    all_modules = "+".join(modules)
    dag_imports = {Path(path).name: f"exec:{provider_imports(path)}" for path in files}
    operator_classes = operator_class_count()
    floor = f"exec:{airflow_floor(operator_classes)}"
    # Each of these gets a figure of its own; the others feed the ceiling figures below.
    listed = files + ([f"{PACKAGE}.operators.tuned_model"] if quick else modules)
    targets = [*listed, all_modules, floor, *dag_imports.values()]
    with tempfile.TemporaryDirectory(prefix="import-cost-") as home:
        env = {
            **child_environment(),
            "AIRFLOW_HOME": home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
        result = probe(sys.executable, targets, repeat, env)
    sdk_ms = result["sdk"] * 1000
    figures = []
    for target in listed:
        report = result["targets"][target]
        label = Path(target).name if target.endswith(".py") else target.removeprefix(PACKAGE)
        if "error" in report:
            figures.append(
                Figure(
                    f"import {label}",
                    None,
                    sdk_ms,
                    "ms",
                    "import airflow.sdk",
                    SDK_GOAL,
                    note=report["error"],
                )
            )
            continue
        heavy = ", ".join(report["heavy"])
        figures.append(
            Figure(
                f"import {label} beyond airflow.sdk",
                report["seconds"] * 1000,
                sdk_ms,
                "ms",
                "import airflow.sdk",
                SDK_GOAL,
                note=f"runtime modules loaded: {heavy}" if heavy else "",
            )
        )
    figures.append(
        _ceiling_figure(
            f"import every operator, sensor and trigger module ({len(modules)}) beyond airflow.sdk",
            result["targets"][all_modules],
            ALL_MODULES_CEILING_MS,
            note=_floor_note(result["targets"][floor], operator_classes),
        )
    )
    measured = {
        name: report
        for name, target in dag_imports.items()
        if "seconds" in (report := result["targets"][target])
    }
    costliest = max(measured, key=lambda name: measured[name]["seconds"], default=None)
    figures.append(
        _ceiling_figure(
            "provider imports of the costliest example DAG file beyond airflow.sdk",
            measured[costliest]
            if costliest
            else {"error": "no example DAG file could be measured"},
            DAG_IMPORTS_CEILING_MS,
            note=f"{costliest}: the provider's import statements alone, not the DAG's own code",
        )
    )
    google_seconds, google_note = google_anchor(google_python, repeat, quick)
    dag_costs = [f.ours for f in figures if f.name.endswith(".py beyond airflow.sdk") and f.ours]
    figures.append(
        Figure(
            "costliest example DAG file beyond airflow.sdk",
            max(dag_costs) if dag_costs else None,
            google_seconds * 1000 if google_seconds is not None else None,
            "ms",
            "Google provider's tuning operator module beyond airflow.sdk",
            GOOGLE_GOAL,
            note=google_note,
        )
    )
    return figures


def _ceiling_figure(name: str, report: dict[str, Any], ceiling_ms: float, note: str = "") -> Figure:
    """A cost beyond ``airflow.sdk`` against a fixed ceiling."""
    seconds = report.get("seconds")
    return Figure(
        name,
        seconds * 1000 if seconds is not None else None,
        ceiling_ms,
        "ms",
        f"{ceiling_ms:.0f} ms",
        "<= 1.00",
        note=report.get("error", note),
    )


def _floor_note(report: dict[str, Any], operator_classes: int) -> str:
    seconds = report.get("seconds")
    if seconds is None:
        return f"Airflow's own part could not be measured: {report.get('error', '')}"
    return (
        f"Airflow's own part, for any provider with {operator_classes} operator classes and a "
        f"trigger: {seconds * 1000:.1f} ms (airflow.triggers.base, loaded in every triggerer "
        "before any trigger module, and that many empty BaseOperator subclasses)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one probe, fewer modules")
    parser.add_argument("--google-python", default=os.environ.get(GOOGLE_PYTHON_ENV))
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    figures = measure(repeat, args.quick, args.google_python)
    emit(f"P1 import cost (median of {repeat} probe(s))", figures, args.json)


if __name__ == "__main__":
    main()
