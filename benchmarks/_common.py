"""What the benchmarks share: figures against anchors, the machine's load, emulator set-up.

Every benchmark compares the provider ("ours") with an anchor measured in the
same run on the same machine: a plain httpx client, Airflow's own import, a
blocking wait, the physical bound of the workload. A ratio to an anchor means
something on a busy 2-core machine, an absolute figure much less, so each
figure is printed with the load at the time it was measured.

Each benchmark script prints a table when run alone, and with ``--json`` prints
one line ``FIGURES {...}`` that ``run_all.py`` reads.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Marks the line of a benchmark's output that carries its figures as JSON.
JSON_PREFIX = "FIGURES "
#: The base model every benchmark tunes from.
BASE_MODEL = "models/gemini-1.5-flash-001-tuning"


def machine_load() -> dict[str, float]:
    """The 1-minute load average and the CPU count, printed next to every figure."""
    return {"load": round(os.getloadavg()[0], 2), "cpus": float(os.cpu_count() or 1)}


def describe_load(load: dict[str, float]) -> str:
    return f"load {load['load']:.1f} on {load['cpus']:.0f} CPUs"


@dataclass
class Figure:
    """One measured figure next to its anchor.

    :param name: what is measured, e.g. ``status polls per second``.
    :param ours: the provider's value (``None`` if it could not be measured).
    :param anchor: the anchor's value, measured in the same run (``None`` if skipped).
    :param anchor_name: what the anchor is, e.g. ``raw httpx client, 32 in flight``.
    :param goal: ``"<= 1.3"`` or ``">= 0.8"``: the goal on ``ours / anchor``.
    :param note: why a value is missing, or what to keep in mind.
    """

    name: str
    ours: float | None
    anchor: float | None
    unit: str
    anchor_name: str
    goal: str
    note: str = ""
    load: dict[str, float] = field(default_factory=machine_load)

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.anchor is None or self.anchor == 0:
            return None
        return self.ours / self.anchor

    @property
    def verdict(self) -> str:
        ratio = self.ratio
        if ratio is None:
            return "n/a"
        operator, bound = self.goal.split()
        met = ratio <= float(bound) if operator == "<=" else ratio >= float(bound)
        return "meets" if met else "MISSES"


def emit(title: str, figures: Sequence[Figure], as_json: bool) -> None:
    """Print the figures as the ``FIGURES`` JSON line, or as a table."""
    if as_json:
        print(JSON_PREFIX + json.dumps([asdict(f) for f in figures]), flush=True)
    else:
        print_section(title, figures)


def read_figures(output: str) -> list[Figure]:
    """The figures in a benchmark's output (the last ``FIGURES`` line)."""
    for line in reversed(output.splitlines()):
        if line.startswith(JSON_PREFIX):
            return [Figure(**item) for item in json.loads(line[len(JSON_PREFIX) :])]
    return []


def print_section(title: str, figures: Iterable[Figure]) -> None:
    print(title, flush=True)
    for figure in figures:
        print(format_figure(figure), flush=True)


def format_figure(figure: Figure) -> str:
    ratio = figure.ratio
    ratio_text = f"{ratio:.2f}" if ratio is not None else "n/a"
    lines = [
        f"  {figure.name}: ours {_value(figure.ours, figure.unit)} | anchor "
        f"{_value(figure.anchor, figure.unit)} ({figure.anchor_name}) | ratio {ratio_text} "
        f"| goal ratio {figure.goal} | {figure.verdict} | {describe_load(figure.load)}"
    ]
    if figure.note:
        lines.append(f"      note: {figure.note}")
    return "\n".join(lines)


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "skipped"
    digits = 0 if abs(value) >= 100 else 2 if abs(value) >= 1 else 3
    return f"{value:,.{digits}f} {unit}".rstrip()


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def child_environment() -> dict[str, str]:
    """The environment for child interpreters: this checkout first on the path.

    Bytecode caches are written and read as in a usual installation, even where the machine
    sets ``PYTHONDONTWRITEBYTECODE`` (CI's do): otherwise every child would compile each module
    it imports again, and import costs would be those of the compiler.
    """
    path = os.environ.get("PYTHONPATH", "")
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    return {**environment, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}


class LoopLag:
    """Samples how late the event loop wakes a coroutine that sleeps ``interval`` seconds.

    :param pauses: a counter of process-wide pauses (e.g. full garbage collections);
        the samples during which it did not change are also kept in ``unpaused``.
    """

    def __init__(self, interval: float = 0.05, pauses: Callable[[], int] | None = None) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self.unpaused: list[float] = []
        self._pauses = pauses or (lambda: 0)
        self._task: asyncio.Future[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            started, pauses = time.perf_counter(), self._pauses()
            await asyncio.sleep(self.interval)
            lag = time.perf_counter() - started - self.interval
            self.samples.append(lag)
            if self._pauses() == pauses:
                self.unpaused.append(lag)


def tuned_model_body(examples: int = 20, epochs: int = 5, batch_size: int = 4) -> dict[str, Any]:
    """A ``tunedModels.create`` body with ``ceil(examples * epochs / batch_size)`` steps."""
    return {
        "displayName": "benchmark model",
        "baseModel": BASE_MODEL,
        "tuningTask": {
            "hyperparameters": {"epochCount": epochs, "batchSize": batch_size},
            "trainingData": {
                "examples": {
                    "examples": [
                        {"textInput": f"question {i}", "output": f"answer {i % 5}"}
                        for i in range(examples)
                    ]
                }
            },
        },
    }
