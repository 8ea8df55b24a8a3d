"""Small, dependency-free reports of a tuning run: loss by epoch as text and as a PNG chart."""

from __future__ import annotations

import itertools
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["loss_by_epoch", "text_chart", "write_png_chart"]


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


def write_png_chart(
    points: Sequence[tuple[int, float]], path: str | Path, *, width: int = 480, height: int = 240
) -> Path:
    """Draw ``points`` as a line chart in a PNG file (white background, axes, blue line)."""
    pixels = [[(255, 255, 255)] * width for _ in range(height)]
    margin = 20
    for x in range(margin, width - margin):
        pixels[height - margin][x] = (0, 0, 0)
    for y in range(margin, height - margin + 1):
        pixels[y][margin] = (0, 0, 0)
    if len(points) >= 1:
        _plot(pixels, points, margin)
    target = Path(path)
    target.write_bytes(_encode_png(pixels))
    return target


def _plot(
    pixels: list[list[tuple[int, int, int]]], points: Sequence[tuple[int, float]], margin: int
) -> None:
    height, width = len(pixels), len(pixels[0])
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    xs = [
        margin + round(i * (width - 2 * margin) / max(1, len(points) - 1))
        for i in range(len(points))
    ]
    ys = [height - margin - round((v - low) / span * (height - 2 * margin)) for v in values]
    corners = list(zip(xs, ys, strict=True))
    segments = list(itertools.pairwise(corners)) or [(corners[0], corners[0])]
    for (x0, y0), (x1, y1) in segments:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for step in range(steps + 1):
            x = x0 + round((x1 - x0) * step / steps)
            y = y0 + round((y1 - y0) * step / steps)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    if 0 <= y + dy < height and 0 <= x + dx < width:
                        pixels[y + dy][x + dx] = (31, 119, 180)


def _encode_png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(c for pixel in row for c in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
