"""The example pipeline's dataset: reproducible, and it gives preparation something to report."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

from airflow_provider_tunedmodels.data import prepare_tuning_dataset

DATA_DIRECTORY = Path(__file__).resolve().parents[2] / "example_dags" / "data"
COMMITTED = DATA_DIRECTORY / "support_tickets.jsonl"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_support_dataset", DATA_DIRECTORY / "make_support_dataset.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_file_is_the_generator_output() -> None:
    assert load_generator().render_jsonl() == COMMITTED.read_text(encoding="utf-8")


def test_it_has_about_400_rows_over_all_categories() -> None:
    generator = load_generator()
    rows = [json.loads(line) for line in COMMITTED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 398
    labels = Counter(row.get("output") for row in rows)
    for category in generator.CATEGORIES:
        assert labels[category] >= generator.TICKETS_PER_CATEGORY


def test_preparation_reports_the_planted_problems(tmp_path: Path) -> None:
    result = prepare_tuning_dataset(
        COMMITTED,
        train_path=tmp_path / "train.jsonl",
        eval_path=tmp_path / "eval.jsonl",
        eval_fraction=0.2,
        drop_invalid=True,
    )
    assert result.rows_read == 398
    assert result.invalid == 3
    assert sorted(error.message for error in result.errors) == [
        "output is 5,678 characters; the limit is 5,000",
        "output is empty",
        "output is missing",
    ]
    assert result.duplicates_removed == 5
    assert result.train_count + result.eval_count == 390
    assert 0 < result.eval_count < result.train_count
