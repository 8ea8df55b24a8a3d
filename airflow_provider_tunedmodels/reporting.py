"""Reports of a tuning run: loss by epoch and the evaluation, as text and as charts.

The text forms need nothing. The charts are drawn with matplotlib, from the
``charts`` extra (``pip install "airflow-provider-tunedmodels[charts]"``), so the
provider itself stays free of a plotting library. Each chart is a real chart:
a title, labelled axes with ticks, every value written on its mark, and a
y-axis that starts at zero, so a small last value does not look like nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "evaluation_figure",
    "loss_by_epoch",
    "loss_figure",
    "tasks_in_dag_order",
    "text_chart",
    "write_chart",
]

#: Size of a chart, in inches at :data:`CHART_DPI`.
CHART_SIZE = (7.0, 4.0)
CHART_DPI = 110


def loss_by_epoch(snapshots: Iterable[Mapping[str, Any]]) -> list[tuple[int, float]]:
    """Mean of ``meanLoss`` per epoch from wire-format snapshots (epoch 0 is omitted on the wire)."""
    losses: dict[int, list[float]] = defaultdict(list)
    for snapshot in snapshots:
        loss = snapshot.get("meanLoss", snapshot.get("mean_loss"))
        if loss is not None:
            losses[int(snapshot.get("epoch") or 0)].append(float(loss))
    return [(epoch, sum(values) / len(values)) for epoch, values in sorted(losses.items())]


def text_chart(
    points: Sequence[tuple[int, float]], *, width: int = 40, label: str = "epoch"
) -> str:
    """A horizontal bar chart, one line per point, scaled to the largest value."""
    if not points:
        return "(no data)"
    top = max(value for _, value in points) or 1.0
    lines = []
    for key, value in points:
        bar = "#" * max(1, round(width * value / top)) if value > 0 else ""
        lines.append(f"{label} {key:>3} | {bar:<{width}} {value:.4f}")
    return "\n".join(lines)


def tasks_in_dag_order(dag: Any, states: Mapping[str, object]) -> list[tuple[str, object]]:
    """``states`` (task id to state) in the order the DAG runs its tasks, not alphabetically.

    Tasks the DAG does not know (removed since the run) come last.
    """
    order = [task.task_id for task in dag.topological_sort()]
    known = [(task_id, states[task_id]) for task_id in order if task_id in states]
    rest = [(task_id, state) for task_id, state in states.items() if task_id not in order]
    return known + rest


def loss_figure(points: Sequence[tuple[int, float]], *, title: str | None = None) -> Figure:
    """A line chart of mean training loss by epoch, each point labelled with its value."""
    figure, axes = _new_figure()
    epochs = [epoch for epoch, _ in points]
    losses = [loss for _, loss in points]
    axes.plot(epochs, losses, marker="o", color="#1f77b4")
    for epoch, loss in points:
        axes.annotate(
            f"{loss:.3f}", (epoch, loss), textcoords="offset points", xytext=(0, 7), ha="center"
        )
    axes.set_title(title or "Mean training loss by epoch", fontsize="medium")
    axes.set_xlabel("Epoch")
    axes.set_ylabel("Mean loss")
    axes.set_xticks(epochs)
    axes.set_ylim(0, max(losses, default=1.0) * 1.15 or 1.0)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def evaluation_figure(evaluation: Mapping[str, Any]) -> Figure:
    """Bars of each metric's mean score, tuned model beside baseline, values written on top.

    :param evaluation: the evaluate operator's summary (``metrics``, ``models``, ``scored``).
    """
    figure, axes = _new_figure()
    metrics = list(evaluation["metrics"])
    models = evaluation["models"]
    names = [name for name in ("tuned", "baseline") if name in models]
    width = 0.8 / max(1, len(names))
    for offset, name in enumerate(names):
        scores = [models[name]["scores"].get(metric) or 0.0 for metric in metrics]
        xs = [index + (offset - (len(names) - 1) / 2) * width for index in range(len(metrics))]
        label = f"{name} ({models[name]['model']})"
        bars = axes.bar(xs, scores, width, label=label, color=_COLOURS.get(name))
        axes.bar_label(bars, labels=[f"{score:.2f}" for score in scores], padding=2)
    axes.set_title(
        f"Evaluation on {evaluation.get('scored', '?')} held-out examples", fontsize="medium"
    )
    axes.set_xlabel("Metric")
    axes.set_ylabel("Mean score (0 to 1)")
    axes.set_xticks(range(len(metrics)), metrics)
    axes.set_ylim(0, 1.15)
    # Below the axes, where it can cover no bar and no value.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def write_chart(figure: Figure, path: str | Path) -> Path:
    """Save ``figure`` as a PNG file and release it."""
    target = Path(path)
    figure.savefig(target, format="png", dpi=CHART_DPI, bbox_inches="tight")
    figure.clear()
    return target


_COLOURS = {"tuned": "#1f77b4", "baseline": "#bbbbbb"}


def _new_figure() -> tuple[Figure, Any]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "charts need matplotlib: pip install 'airflow-provider-tunedmodels[charts]'"
        ) from None
    figure = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    return figure, figure.add_subplot()
