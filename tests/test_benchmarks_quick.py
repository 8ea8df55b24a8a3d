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

ROOT = Path(__file__).resolve().parents[1]
#: The quick run takes 1-2 minutes on 2 busy cores; this leaves room for a slower machine.
TIMEOUT = 420

#: A figure line: ``  <name>: ours <value> [unit] | anchor <value> [unit] (<what>) | ratio <r>
#: | goal ratio <= <g> | <verdict> | load <l> on <n> CPUs``.
FIGURE = re.compile(
    r"^  (?P<name>[^:|]+): ours (?P<ours>\S+)[^|]* \| anchor (?P<anchor>\S+)[^|(]* \([^|]+\) \| "
    r"ratio (?P<ratio>\S+) \| goal ratio (<=|>=) [\d.]+ \| (meets|MISSES|n/a) \| "
    r"load [\d.]+ on \d+ CPUs$"
)


def test_the_quick_run_prints_every_figure_with_its_anchor_and_load() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    output = completed.stdout
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "FAILED" not in output, output

    figures = {m["name"]: m for m in map(FIGURE.match, output.splitlines()) if m}
    names = set(figures)
    assert "import .operators.tuned_model beyond airflow.sdk" in names  # P1
    assert "costliest example DAG file beyond airflow.sdk" in names  # P1, Google anchor
    assert "worker-slot seconds per tuning job, deferred" in names  # P2
    assert {
        "status polls per second",
        "CPU per poll",
        "event-loop lag p99",
        "memory over baseline",
        "TCP connections opened per 100 polls/s",
    } <= names  # P3
    assert {"evaluation wall time vs the bound", "evaluation wall time vs the raw floor"} <= names
    assert "emulator tunedModels.get per second" in names  # P6

    # Every measured figure has a number on both sides and a ratio; only the Google
    # provider's anchor may be skipped, and it then says why.
    for name, match in figures.items():
        assert match["ours"] != "skipped", name
        if match["anchor"] == "skipped":
            assert name == "costliest example DAG file beyond airflow.sdk"
            assert match["ratio"] == "n/a"
        else:
            assert float(match["ratio"]) >= 0, name
    assert re.search(r"^P5 dataset preparation", output, re.MULTILINE)
    assert {
        "rows/s by CPU time, 100,000 rows (median of 1)",
        "rows/s by CPU time, 200,000 rows (median of 1)",
        "peak RSS at 200,000 rows",
    } <= names  # P5
    summary = re.search(r"^Summary: (\d+) figures, \d+ meets, \d+ MISSES, \d+ n/a \(", output, re.M)
    assert summary is not None
    assert int(summary[1]) == len(figures)
