from __future__ import annotations

import struct
from pathlib import Path
from types import SimpleNamespace

from airflow_provider_tunedmodels.reporting import (
    evaluation_figure,
    loss_by_epoch,
    loss_figure,
    tasks_in_dag_order,
    text_chart,
    write_chart,
)

EVALUATION = {
    "scored": 58,
    "metrics": ["exact_match", "token_f1"],
    "models": {
        "tuned": {"model": "tunedModels/x", "scores": {"exact_match": 0.9, "token_f1": 0.95}},
        "baseline": {"model": "models/base", "scores": {"exact_match": 0.0, "token_f1": 0.1}},
    },
}


def test_loss_by_epoch_averages_snapshots_and_reads_omitted_epoch_as_zero() -> None:
    snapshots = [
        {"step": 1, "meanLoss": 4.0},
        {"step": 2, "meanLoss": 2.0},
        {"step": 3, "epoch": 1, "meanLoss": 1.0},
        {"step": 4, "epoch": 1},
    ]
    assert loss_by_epoch(snapshots) == [(0, 3.0), (1, 1.0)]


def test_text_chart_scales_bars_to_the_largest_value() -> None:
    chart = text_chart([(0, 4.0), (1, 1.0)], width=8)
    assert chart.splitlines() == [
        "epoch   0 | ######## 4.0000",
        "epoch   1 | ##       1.0000",
    ]
    assert text_chart([]) == "(no data)"


def test_the_loss_chart_has_a_title_labelled_axes_values_and_a_zero_based_y_axis() -> None:
    axes = loss_figure([(0, 2.12), (1, 1.19), (2, 0.49)]).axes[0]
    assert axes.get_title() == "Mean training loss by epoch"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Epoch", "Mean loss")
    assert list(axes.get_xticks()) == [0, 1, 2]
    assert axes.get_ylim()[0] == 0
    assert axes.get_ylim()[1] > 2.12
    assert [text.get_text() for text in axes.texts] == ["2.120", "1.190", "0.490"]


def test_the_evaluation_chart_compares_tuned_and_baseline_per_metric() -> None:
    axes = evaluation_figure(EVALUATION).axes[0]
    assert axes.get_title() == "Evaluation on 58 held-out examples"
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["exact_match", "token_f1"]
    assert axes.get_ylim() == (0, 1.15)
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["tuned (tunedModels/x)", "baseline (models/base)"]
    assert [text.get_text() for text in axes.texts] == ["0.90", "0.95", "0.00", "0.10"]


def test_charts_are_written_as_png_files(tmp_path: Path) -> None:
    path = write_chart(loss_figure([(0, 3.0), (1, 2.0)]), tmp_path / "loss.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    assert width > 600
    assert height > 350


def test_tasks_are_listed_in_dag_order() -> None:
    tasks = [SimpleNamespace(task_id=name) for name in ("prepare", "tune", "evaluate", "publish")]
    dag = SimpleNamespace(topological_sort=lambda: tasks)
    states = {"evaluate": "success", "publish": "success", "prepare": "success", "tune": "failed"}
    assert [task for task, _ in tasks_in_dag_order(dag, states)] == [
        "prepare",
        "tune",
        "evaluate",
        "publish",
    ]
    assert tasks_in_dag_order(dag, {"gone": "removed"}) == [("gone", "removed")]


def test_the_wheel_ships_no_hand_written_png_encoder() -> None:
    import airflow_provider_tunedmodels.reporting as reporting

    source = Path(reporting.__file__).read_text()
    assert "zlib" not in source
    assert "_encode_png" not in source
