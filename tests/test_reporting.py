from __future__ import annotations

import struct
import zlib
from pathlib import Path

from airflow_provider_tunedmodels.reporting import loss_by_epoch, text_chart, write_png_chart


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


def test_png_chart_is_a_valid_png_with_the_line_drawn(tmp_path: Path) -> None:
    path = write_png_chart(
        [(0, 3.0), (1, 2.0), (2, 1.5)], tmp_path / "loss.png", width=60, height=40
    )
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (60, 40)
    idat_length = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_length])
    assert len(raw) == height * (1 + width * 3)
    assert bytes((31, 119, 180)) in raw
