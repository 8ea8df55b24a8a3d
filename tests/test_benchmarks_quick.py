"""The benchmark suite's smoke run completes and prints every figure.

Only that the run works is checked: speed depends on the machine and its load,
so no figure's value or verdict is asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: A quick section takes well under a minute on 2 busy cores; this leaves room for a slower machine.
TIMEOUT = 420

#: A figure line: ``  <name>: ours <value> [unit] | anchor <value> [unit] (<what>) | ratio <r>
#: | goal ratio <= <g> | <verdict> | load <l> on <n> CPUs``.
FIGURE = re.compile(
    r"^  (?P<name>[^:|]+): ours (?P<ours>\S+)[^|]* \| anchor (?P<anchor>\S+)[^|(]* \([^|]+\) \| "
    r"ratio (?P<ratio>\S+) \| goal ratio (<=|>=) [\d.]+ \| (meets|MISSES|n/a) \| "
    r"load [\d.]+ on \d+ CPUs$"
)


#: What the trigger-density sections print.
TRIGGER_DENSITY = {
    "status polls per second",
    "CPU per poll",
    "event-loop lag p99",
    "memory over baseline",
    "TCP connections opened per 100 polls/s",
    "event-loop lag p99 against its ceiling",
}
#: The figures each section must print (a section not named here must print at least one).
EXPECTED_FIGURES: dict[str, set[str]] = {
    "P1": {
        "import .operators.tuned_model beyond airflow.sdk",
        "provider imports of the costliest example DAG file beyond airflow.sdk",
        "costliest example DAG file beyond airflow.sdk",  # Google's provider as the anchor
    },
    "P2": {"worker-slot seconds per tuning job, deferred"},
    "P3": TRIGGER_DENSITY,
    "P3v": TRIGGER_DENSITY,  # the same figures, for Vertex AI tuning jobs
    "P4": {"evaluation wall time vs the bound", "evaluation wall time vs the raw floor"},
    "P5": {
        "rows/s by CPU time, 100,000 rows (median of 1)",
        "rows/s by CPU time, 200,000 rows (median of 1)",
        "peak RSS at 200,000 rows",
    },
    "P6": {"emulator tunedModels.get per second"},
    "P7": {"staging throughput, 64 MiB file", "peak RSS growth staging 64 MiB"},
}
#: Only this figure's anchor may be skipped (Google's provider is not always installed).
MAY_SKIP_ANCHOR = "costliest example DAG file beyond airflow.sdk"


def _sections() -> list[str]:
    """The sections ``run_all.py`` runs, read from its ``SECTIONS``."""
    source = (ROOT / "benchmarks" / "run_all.py").read_text()
    return re.findall(r'^    Section\(\s*"(\w+)"', source, re.MULTILINE)


def test_every_section_with_expected_figures_is_run_by_run_all() -> None:
    assert set(EXPECTED_FIGURES) <= set(_sections())


@pytest.mark.long
@pytest.mark.parametrize("section", _sections())
def test_the_quick_run_prints_every_figure_with_its_anchor_and_load(section: str) -> None:
    # One section per test, so that the suite's workers share them out.
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick", "--only", section],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    output = completed.stdout
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "FAILED" not in output, output
    assert re.search(rf"^{section} ", output, re.MULTILINE), output

    lines = [m for m in map(FIGURE.match, output.splitlines()) if m]
    names = {m["name"] for m in lines}
    assert EXPECTED_FIGURES.get(section, set()) <= names, output
    assert lines, output
    # Every measured figure has a number on both sides and a ratio; only the Google
    # provider's anchor may be skipped, and it then says why.
    for match in lines:
        name = match["name"]
        assert match["ours"] != "skipped", name
        if match["anchor"] == "skipped":
            assert name == MAY_SKIP_ANCHOR, name
            assert match["ratio"] == "n/a"
        else:
            assert float(match["ratio"]) >= 0, name
    summary = re.search(r"^Summary: (\d+) figures, \d+ meets, \d+ MISSES, \d+ n/a \(", output, re.M)
    assert summary is not None
    assert int(summary[1]) == len(lines)
