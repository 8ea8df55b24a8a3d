"""Compare ``prepare_tuning_dataset`` with a naive loop, for speed and peak memory.

The naive loop is the least a script could do with the same file: ``json.loads``
every line, drop a row whose ``(input, output)`` pair is in a Python ``set``, send
the row to the evaluation or the training file with ``random.random()``, and write
it back with ``json.dumps``. It validates nothing, ignores whitespace variants, and
its memory grows with every unique row.

For each size, the script writes a JSONL file of rows of about 300 bytes (the
generator of ``dataset_memory.py``: about 5% duplicates and 0.1% invalid rows),
then runs each contender in a fresh subprocess on that same file, alternately and
``--repeat`` times, and keeps the median run of each. Both contenders read the same
file and write both output files. Throughput is given for CPU time (user and system
time of the subprocess, which other work on a shared machine does not inflate much)
and for wall-clock time; the ratio is ours over the naive loop's, by CPU time. Peak
memory is the subprocess's peak resident set size. The machine's load is printed
with each size, since a loaded machine makes every figure noisier.

Usage (from the repository root)::

    .venv/bin/python benchmarks/dataset_prepare.py           # 100,000 and 1,000,000 rows
    .venv/bin/python benchmarks/dataset_prepare.py --quick   # 100,000 and 200,000 rows, once
    .venv/bin/python benchmarks/dataset_prepare.py --json    # the FIGURES line for run_all.py

Goals: ``prepare_tuning_dataset`` reaches at least 1.5 times the naive loop's
throughput at every size, and its peak memory at the largest size is at most 1.2
times its peak memory at the smallest. Both sizes of ``--quick`` exceed the number
of fingerprints kept in memory, so that its memory ratio means something too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dataset_memory import write_dataset

REPOSITORY = Path(__file__).resolve().parent.parent
FULL_ROWS = (100_000, 1_000_000)
QUICK_ROWS = (100_000, 200_000)
#: Throughput goal: ours divided by the naive loop's.
SPEED_GOAL = 1.5
#: Memory goal: peak memory at the largest size divided by that at the smallest.
MEMORY_GOAL = 1.2


def naive_loop(source: Path, output_directory: Path, eval_fraction: float = 0.1) -> int:
    """Deduplicate and split ``source`` the simplest way; return the rows read."""
    rng = random.Random(0)
    seen: set[tuple[str, str]] = set()
    rows = 0
    with (
        source.open("rb") as lines,
        (output_directory / "train.jsonl").open("w", encoding="utf-8") as train,
        (output_directory / "eval.jsonl").open("w", encoding="utf-8") as evaluation,
    ):
        for line in lines:
            record = json.loads(line)
            rows += 1
            key = (record.get("text_input", ""), record.get("output", ""))
            if key in seen:
                continue
            seen.add(key)
            target = evaluation if rng.random() < eval_fraction else train
            target.write(json.dumps(record) + "\n")
    return rows


def prepare(source: Path, output_directory: Path) -> int:
    """Run ``prepare_tuning_dataset`` as a pipeline would; return the rows read."""
    from airflow_provider_tunedmodels.data import prepare_tuning_dataset

    result = prepare_tuning_dataset(
        source,
        train_path=output_directory / "train.jsonl",
        eval_path=output_directory / "eval.jsonl",
        eval_fraction=0.1,
        drop_invalid=True,
    )
    return result.rows_read


CONTENDERS = {"naive": naive_loop, "ours": prepare}


def child(contender: str, source: str, output_directory: str) -> None:
    """Run one contender once and print its time and peak memory as JSON."""
    import airflow_provider_tunedmodels.data  # noqa: F401  (imports are not timed)

    output = Path(output_directory)
    output.mkdir(parents=True, exist_ok=True)
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = CONTENDERS[contender](Path(source), output)
    cpu_seconds = time.process_time() - cpu_started
    seconds = time.perf_counter() - started
    report = {"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds}
    print(json.dumps({**report, "peak_rss_mib": peak_rss_mib()}))


def peak_rss_mib() -> float:
    """Return this process's peak resident set size in MiB."""
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_child(contender: str, source: Path, output_directory: Path) -> dict[str, float]:
    """Run :func:`child` in a fresh interpreter and return its report."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    completed = subprocess.run(
        [sys.executable, __file__, "--child", contender, str(source), str(output_directory)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    report: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def measure(source: Path, scratch: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Run both contenders ``repeat`` times, alternately; keep each one's median run.

    The median of each measure is taken on its own (CPU time, wall time, peak memory).
    """
    runs: dict[str, list[dict[str, float]]] = {contender: [] for contender in CONTENDERS}
    for attempt in range(repeat):
        for contender in CONTENDERS:
            runs[contender].append(run_child(contender, source, scratch / f"{contender}-{attempt}"))
    return {
        contender: {key: statistics.median(run[key] for run in reports) for key in reports[0]}
        for contender, reports in runs.items()
    }


def main() -> None:
    """Generate the files, measure both contenders at each size, print the table."""
    parser = argparse.ArgumentParser(description="prepare_tuning_dataset against a naive loop.")
    parser.add_argument("--quick", action="store_true", help="100,000 and 200,000 rows, once")
    parser.add_argument("--rows", type=int, nargs="+", help="sizes to measure")
    parser.add_argument("--repeat", type=int, help="runs per contender and size (default 5)")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line only")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(*arguments.child)
        return
    # Imported here, not at the top: the children would carry its imports in their memory.
    from _common import Figure, emit

    sizes = sorted(arguments.rows or (QUICK_ROWS if arguments.quick else FULL_ROWS))
    repeat = arguments.repeat or (1 if arguments.quick else 5)
    results = run_sizes(sizes, repeat, verbose=not arguments.json)
    figures = [
        Figure(
            name=f"rows/s by CPU time, {rows:,} rows (median of {repeat})",
            ours=rows / ours["cpu_seconds"],
            anchor=rows / naive["cpu_seconds"],
            unit="rows/s",
            anchor_name="naive loop: json.loads, a set, random split",
            goal=f">= {SPEED_GOAL}",
            load=load,
        )
        for rows, naive, ours, load in results
    ]
    first, last = results[0], results[-1]
    figures.append(
        Figure(
            name=f"peak RSS at {last[0]:,} rows",
            ours=last[2]["peak_rss_mib"],
            anchor=first[2]["peak_rss_mib"],
            unit="MiB",
            anchor_name=f"ours at {first[0]:,} rows",
            goal=f"<= {MEMORY_GOAL}",
            note=f"naive loop: {first[1]['peak_rss_mib']:.1f} -> {last[1]['peak_rss_mib']:.1f} MiB",
        )
    )
    emit("P5 dataset preparation against a naive loop", figures, as_json=arguments.json)


def run_sizes(
    sizes: list[int], repeat: int, *, verbose: bool
) -> list[tuple[int, dict[str, float], dict[str, float], dict[str, float]]]:
    """Measure both contenders at each size; print a table row per size when ``verbose``."""
    from _common import describe_load, machine_load

    if verbose:
        print(
            f"{'rows':>9}  {'rows/s by CPU time':^23}  {'ratio':>5} {'goal':>4}  "
            f"{'rows/s by wall time':^23}  {'ratio':>5}  {'peak RSS MiB':^13}  load"
        )
        print(
            f"{'':>9}  {'naive':>11} {'ours':>11}  {'':>10}  {'naive':>11} {'ours':>11}  "
            f"{'':>5}  {'naive':>6} {'ours':>6}"
        )
    results = []
    with tempfile.TemporaryDirectory(prefix="dataset-prepare-") as directory:
        scratch = Path(directory)
        for rows in sizes:
            source = scratch / f"rows-{rows}.jsonl"
            write_dataset(source, rows)
            best = measure(source, scratch / f"out-{rows}", repeat)
            load = machine_load()
            naive, ours = best["naive"], best["ours"]
            results.append((rows, naive, ours, load))
            source.unlink()
            if verbose:
                print(
                    f"{rows:>9,}  {rows / naive['cpu_seconds']:>11,.0f} "
                    f"{rows / ours['cpu_seconds']:>11,.0f}  "
                    f"{naive['cpu_seconds'] / ours['cpu_seconds']:>4.2f}x {SPEED_GOAL:>3.1f}x  "
                    f"{rows / naive['seconds']:>11,.0f} {rows / ours['seconds']:>11,.0f}  "
                    f"{naive['seconds'] / ours['seconds']:>4.2f}x  "
                    f"{naive['peak_rss_mib']:>6.1f} {ours['peak_rss_mib']:>6.1f}  "
                    f"{describe_load(load)}",
                    flush=True,
                )
    if verbose:
        growth = results[-1][2]["peak_rss_mib"] / results[0][2]["peak_rss_mib"]
        print(
            f"peak memory of ours, {sizes[-1]:,} rows / {sizes[0]:,} rows: {growth:.2f}x "
            f"(goal: at most {MEMORY_GOAL:.1f}x); medians of {repeat} runs each"
        )
    return results


if __name__ == "__main__":
    main()
