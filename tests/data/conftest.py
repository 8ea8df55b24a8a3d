"""Helpers shared by the dataset tests: writing small input files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

WriteLines = Callable[[str, Iterable[object]], Path]


@pytest.fixture
def write_lines(tmp_path: Path) -> WriteLines:
    """Write a file under ``tmp_path``; dicts become JSON lines, strings are written as is."""

    def write(name: str, lines: Iterable[object]) -> Path:
        path = tmp_path / name
        text = "".join(
            (line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines
        )
        path.write_text(text, encoding="utf-8")
        return path

    return write
