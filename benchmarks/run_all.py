"""Run every benchmark and print each figure next to its anchor, the ratio, the goal and the load.

    .venv/bin/python benchmarks/run_all.py            # full run, about 8-10 minutes on 2 cores
    .venv/bin/python benchmarks/run_all.py --quick    # smoke run, 1-2 minutes
    .venv/bin/python benchmarks/run_all.py --only P3 P4

Figures (each measured in its own child process, its anchor in the same run):

P1  import cost of the operator, sensor and trigger modules and of the example DAG
    files beyond ``airflow.sdk``; anchors ``airflow.sdk`` itself and Google's provider
P2  worker-slot seconds per tuning job when deferred; anchor a blocking wait
P3  trigger density: N Gemini tuned-model triggers polling on one event loop; anchor a
    plain capped httpx client doing the same polls, and ours with fewer triggers
P3v the same for Vertex AI tuning jobs (``projects/*/locations/*/tuningJobs/*``)
P4  evaluation wall time; anchors the physical bound and a raw httpx floor
P5  dataset preparation; anchor a naive loop (``dataset_prepare.py``, when present)
P6  emulator throughput; anchors a minimal server on the same machine and the target
P7  staging a dataset in Cloud Storage (1 GiB); anchors a raw streamed upload and, for
    memory, the same staging of a small file

No figure fails the run: a goal that is missed is printed as ``MISSES``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    Figure,
    child_environment,
    describe_load,
    machine_load,
    print_section,
    read_figures,
)

HERE = Path(__file__).resolve().parent
#: Longest a single benchmark may run before it is stopped and reported as failed.
SECTION_TIMEOUT = 1200


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    script: str
    #: Arguments of the script, before ``--quick`` and ``--json``.
    arguments: tuple[str, ...] = ()


SECTIONS = (
    Section("P1", "import cost beyond airflow.sdk", "import_cost.py"),
    Section("P2", "worker-slot seconds per tuning job", "worker_slots.py"),
    Section("P3", "trigger density on one event loop", "trigger_density.py"),
    Section(
        "P3v",
        "trigger density on one event loop, Vertex AI",
        "trigger_density.py",
        ("--backend", "vertex"),
    ),
    Section("P4", "evaluation speed", "evaluation_speed.py"),
    Section("P5", "dataset preparation against a naive loop", "dataset_prepare.py"),
    Section("P6", "emulator throughput", "emulator_throughput.py"),
    Section("P7", "staging a dataset in Cloud Storage", "staging_upload.py"),
)


def run_section(section: Section, quick: bool) -> list[Figure]:
    """Run one benchmark script; print its figures (or its own table) and return them."""
    script = HERE / section.script
    print(
        f"\n{section.key} {section.title}  [{describe_load(machine_load())} at start]", flush=True
    )
    if not script.exists():
        print(
            f"  note: {section.script} is not in this checkout; {section.key} skipped", flush=True
        )
        return []
    command = [sys.executable, str(script), *section.arguments, *(["--quick"] if quick else [])]
    if _speaks_json(script):
        command.append("--json")
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=child_environment(),
            cwd=HERE,
            timeout=SECTION_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"  FAILED: still running after {SECTION_TIMEOUT} s; stopped", flush=True)
        return []
    seconds = time.perf_counter() - started
    figures = read_figures(completed.stdout)
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        print(f"  FAILED (exit {completed.returncode}):\n{_indent(tail)}", flush=True)
    elif figures:
        print_section(f"  ({seconds:.0f} s)", figures)
    else:
        print(_indent(completed.stdout.strip()), flush=True)
        print(f"  ({seconds:.0f} s; figures as printed by {section.script})", flush=True)
    return figures


def _speaks_json(script: Path) -> bool:
    """Whether the script prints the ``FIGURES`` line (scripts of other authors may not)."""
    return "--json" in script.read_text(encoding="utf-8")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def print_summary(results: dict[str, list[Figure]], seconds: float) -> None:
    """Counts of figures by verdict, and every figure that is not ``meets``."""
    figures = [(key, figure) for key, section in results.items() for figure in section]
    verdicts = [figure.verdict for _, figure in figures]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("meets", "MISSES", "n/a"))
    print(f"\nSummary: {len(figures)} figures, {counts} ({seconds:.0f} s, ", end="")
    print(f"{describe_load(machine_load())} at the end)")
    for key, figure in figures:
        if figure.verdict != "meets":
            ratio = f"{figure.ratio:.2f}" if figure.ratio is not None else "n/a"
            print(f"  {key} {figure.name}: ratio {ratio}, goal {figure.goal}, {figure.verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of 1-2 minutes")
    parser.add_argument("--only", nargs="+", metavar="P", help="run only these figures, e.g. P3")
    args = parser.parse_args()
    load = machine_load()
    print(
        f"Benchmarks of airflow-provider-tunedmodels ({'quick' if args.quick else 'full'} run), "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {describe_load(load)}",
        flush=True,
    )
    print(
        "Each figure: ours | its anchor, measured in the same run | ours / anchor | the goal on that ratio"
    )
    started = time.perf_counter()
    results: dict[str, list[Figure]] = {}
    for section in SECTIONS:
        if args.only and section.key not in args.only:
            continue
        results[section.key] = run_section(section, args.quick)
    print_summary(results, time.perf_counter() - started)


if __name__ == "__main__":
    main()
