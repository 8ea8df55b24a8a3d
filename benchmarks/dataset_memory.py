"""Show that ``prepare_tuning_dataset`` runs in flat memory, whatever the input size.

For each size, the script writes a JSONL file of that many rows into a temporary
directory (about 5% duplicates and 0.1% invalid rows), then prepares it in a fresh
subprocess with ``drop_invalid=True`` and reports that subprocess's peak resident
memory (``resource.getrusage(...).ru_maxrss``) and its throughput. A first
subprocess only imports the package, to show the interpreter's own share.

Usage (from the repository root)::

    .venv/bin/python benchmarks/dataset_memory.py [--rows 100000 200000 400000]

Preparation keeps a fixed working set: the most recent 65,536 fingerprints and a 4 MiB
filter for duplicate detection. Memory grows until that set is full (near 65,536
distinct rows) and then stays flat, so the default sizes all lie beyond it. The goal:
the ratio of peak memory between the largest and the smallest file stays close to 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_ROWS = (100_000, 200_000, 400_000)
WORDS = [
    "order",
    "refund",
    "parcel",
    "invoice",
    "account",
    "password",
    "delivery",
    "return",
    "warranty",
    "screen",
    "crash",
    "update",
    "charger",
    "battery",
    "colour",
    "size",
    "address",
    "tracking",
    "label",
    "payment",
    "card",
]
LABELS = ("billing", "shipping", "returns", "account", "technical", "product_question")


def write_dataset(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` JSONL rows of 20-60 words each, with duplicates and invalid rows."""
    rng = random.Random(seed)
    recent: list[str] = []
    with path.open("w", encoding="utf-8") as file:
        for number in range(rows):
            roll = rng.random()
            if roll < 0.05 and recent:
                file.write(rng.choice(recent))
                continue
            record: dict[str, str] = {
                "text_input": f"ticket {number}: "
                + " ".join(rng.choices(WORDS, k=rng.randint(20, 60)))
            }
            if roll > 0.999:
                record["output"] = ""  # invalid: empty output
            else:
                record["output"] = rng.choice(LABELS)
            line = json.dumps(record) + "\n"
            file.write(line)
            recent = [*recent[-99:], line]


def run_child(arguments: list[str]) -> dict[str, float]:
    """Run this script in a subprocess with ``arguments`` and parse its JSON report."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    completed = subprocess.run(
        [sys.executable, __file__, *arguments],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    report: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def child_import_only() -> None:
    """Import the package and report peak memory."""
    import airflow_provider_tunedmodels.data  # noqa: F401

    print(json.dumps({"peak_rss_mib": _peak_rss_mib()}))


def child_prepare(source: str, output_directory: str) -> None:
    """Prepare ``source`` and report peak memory, time and counts."""
    from airflow_provider_tunedmodels.data import prepare_tuning_dataset

    started = time.perf_counter()
    result = prepare_tuning_dataset(
        source,
        train_path=Path(output_directory) / "train.jsonl",
        eval_path=Path(output_directory) / "eval.jsonl",
        drop_invalid=True,
    )
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "peak_rss_mib": _peak_rss_mib(),
                "seconds": seconds,
                "rows": result.rows_read,
                "duplicates": result.duplicates_removed,
                "invalid": result.invalid,
            }
        )
    )


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    """Generate the files, prepare each in a subprocess, print the table and the ratio."""
    parser = argparse.ArgumentParser(description="Peak memory of prepare_tuning_dataset.")
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    parser.add_argument("--child-import", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-prepare", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child_import:
        child_import_only()
        return
    if arguments.child_prepare:
        child_prepare(*arguments.child_prepare)
        return

    baseline = run_child(["--child-import"])["peak_rss_mib"]
    print(f"import only: peak RSS {baseline:.1f} MiB")
    print(f"{'rows':>9} {'file MiB':>9} {'peak RSS MiB':>13} {'seconds':>8} {'rows/s':>9}")
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(prefix="dataset-memory-") as scratch:
        for rows in sorted(arguments.rows):
            source = Path(scratch) / f"rows-{rows}.jsonl"
            write_dataset(source, rows)
            output = Path(scratch) / f"out-{rows}"
            report = run_child(["--child-prepare", str(source), str(output)])
            peaks.append(report["peak_rss_mib"])
            size_mib = source.stat().st_size / (1024 * 1024)
            print(
                f"{rows:>9,} {size_mib:>9.1f} {report['peak_rss_mib']:>13.1f} "
                f"{report['seconds']:>8.2f} {rows / report['seconds']:>9,.0f}"
            )
    print(f"peak memory ratio, largest / smallest file: {peaks[-1] / peaks[0]:.2f}")


if __name__ == "__main__":
    main()
