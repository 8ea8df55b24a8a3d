"""prepare_tuning_dataset: validation, duplicates, deterministic split, atomic writes."""

from __future__ import annotations

import json
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.data import (
    DatasetError,
    DatasetValidationError,
    EvalSelector,
    Example,
    PreparedDataset,
    RowError,
    SourceFormatError,
    example_fingerprint,
    prepare_tuning_dataset,
    seen_store,
)


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def tickets(count: int) -> list[dict[str, str]]:
    return [{"input": f"ticket number {n}", "output": f"label {n % 3}"} for n in range(count)]


def prepare(source: object, directory: Path, **options: object) -> PreparedDataset:
    options.setdefault("eval_fraction", 0.25)
    return prepare_tuning_dataset(
        source,  # type: ignore[arg-type]
        train_path=directory / "train.jsonl",
        eval_path=directory / "eval.jsonl",
        **options,  # type: ignore[arg-type]
    )


class TestInvalidRows:
    rows = [
        {"input": "fine", "output": "ok"},
        {"input": "no output"},
        "{broken",
        {"input": "long", "output": "y" * 5_210},
        {"input": "fine too", "output": "ok"},
    ]

    def test_strict_mode_lists_every_bad_line_and_writes_nothing(
        self, write_lines, tmp_path: Path
    ) -> None:
        source = write_lines("data.jsonl", self.rows)
        out = tmp_path / "out"
        with pytest.raises(DatasetValidationError) as raised:
            prepare(source, out)
        assert str(raised.value) == (
            f"3 of 5 records in {source} are invalid; fix them, or pass "
            "drop_invalid=True to drop and count them:\n"
            "  line 2: output is missing\n"
            "  line 3: not valid JSON (Expecting property name enclosed in double quotes "
            "at column 2)\n"
            "  line 4: output is 5,210 characters; the limit is 5,000"
        )
        assert raised.value.invalid_count == 3
        assert raised.value.rows_read == 5
        assert [error.line for error in raised.value.errors] == [2, 3, 4]
        assert list(out.iterdir()) == []

    def test_the_list_is_capped_with_a_count_of_the_rest(self, write_lines, tmp_path) -> None:
        source = write_lines("data.jsonl", [{"input": str(n), "output": ""} for n in range(7)])
        with pytest.raises(DatasetValidationError) as raised:
            prepare(source, tmp_path / "out", max_reported_errors=2)
        message = str(raised.value)
        assert message.splitlines()[1:] == [
            "  line 1: output is empty",
            "  line 2: output is empty",
            "  and 5 more",
        ]
        assert raised.value.invalid_count == 7

    def test_drop_mode_counts_and_reports_the_bad_rows(self, write_lines, tmp_path) -> None:
        source = write_lines("data.jsonl", self.rows)
        result = prepare(source, tmp_path, drop_invalid=True, eval_fraction=0.0)
        assert (result.rows_read, result.valid, result.invalid) == (5, 2, 3)
        assert result.errors == (
            RowError(2, "output is missing"),
            RowError(
                3,
                "not valid JSON (Expecting property name enclosed in double quotes at column 2)",
            ),
            RowError(4, "output is 5,210 characters; the limit is 5,000"),
        )
        assert read_jsonl(tmp_path / "train.jsonl") == [
            {"text_input": "fine", "output": "ok"},
            {"text_input": "fine too", "output": "ok"},
        ]

    def test_drop_mode_keeps_only_the_first_messages(self, write_lines, tmp_path) -> None:
        rows = [{"output": ""}] * 4 + [{"output": "ok"}]
        source = write_lines("data.jsonl", rows)
        result = prepare(source, tmp_path, drop_invalid=True, max_reported_errors=1)
        assert result.invalid == 4
        assert result.errors == (RowError(1, "output is empty"),)
        assert result.to_dict()["errors"] == [{"line": 1, "message": "output is empty"}]

    def test_in_memory_records_are_located_by_item(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetValidationError) as raised:
            prepare([("q", "a"), ("q", "")], tmp_path)
        assert str(raised.value).splitlines() == [
            "1 of 2 records in <in-memory records> are invalid; fix them, or pass "
            "drop_invalid=True to drop and count them:",
            "  item 2: output is empty",
        ]


class TestDuplicates:
    rows = [
        {"input": "Where is my parcel?", "output": "shipping"},
        {"input": "  Where is  my parcel?\n", "output": "shipping "},
        {"prompt": "Where is my parcel?", "completion": "shipping"},
        {"input": "where is my parcel?", "output": "shipping"},
        {"input": "Where is my parcel?", "output": "returns"},
    ]

    def test_removes_whitespace_variants_and_keeps_the_first_text(
        self, write_lines, tmp_path
    ) -> None:
        result = prepare(write_lines("data.jsonl", self.rows), tmp_path, eval_fraction=0.0)
        assert result.duplicates_removed == 2
        assert result.train_count == 3
        assert read_jsonl(tmp_path / "train.jsonl") == [
            {"text_input": "Where is my parcel?", "output": "shipping"},
            {"text_input": "where is my parcel?", "output": "shipping"},
            {"text_input": "Where is my parcel?", "output": "returns"},
        ]

    def test_can_be_kept(self, write_lines, tmp_path: Path) -> None:
        result = prepare(
            write_lines("data.jsonl", self.rows), tmp_path, eval_fraction=0.0, deduplicate=False
        )
        assert (result.duplicates_removed, result.train_count) == (0, 5)

    def test_kept_duplicates_land_in_the_same_split(self, tmp_path: Path) -> None:
        rows = tickets(200) * 2
        result = prepare(rows, tmp_path, deduplicate=False, eval_fraction=0.5)
        train = read_jsonl(tmp_path / "train.jsonl")
        evaluation = read_jsonl(tmp_path / "eval.jsonl")
        assert result.train_count == len(train)
        assert result.eval_count == len(evaluation)
        assert not {row["text_input"] for row in train} & {row["text_input"] for row in evaluation}
        assert len(train) % 2 == 0
        assert len(evaluation) % 2 == 0


class TestSplit:
    def split(self, rows: list[dict[str, str]], directory: Path, **options: object):
        prepare(rows, directory, **options)
        return (
            read_jsonl(directory / "train.jsonl"),
            read_jsonl(directory / "eval.jsonl"),
        )

    def test_does_not_depend_on_row_order(self, tmp_path: Path) -> None:
        rows = tickets(500)
        shuffled = random.Random(3).sample(rows, len(rows))
        train, evaluation = self.split(rows, tmp_path / "a", seed="s")
        train2, evaluation2 = self.split(shuffled, tmp_path / "b", seed="s")
        as_set = lambda records: {json.dumps(r, sort_keys=True) for r in records}  # noqa: E731
        assert as_set(train) == as_set(train2)
        assert as_set(evaluation) == as_set(evaluation2)
        assert 0 < len(evaluation) < len(rows)

    def test_each_example_goes_where_its_hash_says(self, tmp_path: Path) -> None:
        rows = tickets(300)
        _, evaluation = self.split(rows, tmp_path, eval_fraction=0.3, seed="x")
        selector = EvalSelector(0.3, "x")
        expected = [
            row["input"]
            for row in rows
            if selector.is_eval(example_fingerprint(Example(row["input"], row["output"])))
        ]
        assert [row["text_input"] for row in evaluation] == expected

    def test_a_rerun_writes_identical_files(self, tmp_path: Path) -> None:
        rows = tickets(100)
        self.split(rows, tmp_path / "a")
        self.split(rows, tmp_path / "b")
        for name in ("train.jsonl", "eval.jsonl"):
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()

    def test_the_seed_changes_the_split(self, tmp_path: Path) -> None:
        rows = tickets(200)
        _, first = self.split(rows, tmp_path / "a", seed="one")
        _, second = self.split(rows, tmp_path / "b", seed="two")
        assert first != second

    def test_no_evaluation_file_when_the_fraction_is_zero(self, tmp_path: Path) -> None:
        result = prepare_tuning_dataset(
            tickets(5), train_path=tmp_path / "train.jsonl", eval_path=None, eval_fraction=0.0
        )
        assert result.eval_path is None
        assert (result.train_count, result.eval_count) == (5, 0)
        assert [path.name for path in tmp_path.iterdir()] == ["train.jsonl"]


class TestSources:
    def test_csv(self, tmp_path: Path) -> None:
        source = tmp_path / "data.csv"
        source.write_text(
            "prompt,target\nhello,world\nbye,\nhello ,world\n",
            encoding="utf-8",
        )
        result = prepare(source, tmp_path, drop_invalid=True, eval_fraction=0.0)
        assert result.errors == (RowError(3, "output is empty"),)
        assert result.duplicates_removed == 1
        assert read_jsonl(tmp_path / "train.jsonl") == [{"text_input": "hello", "output": "world"}]

    def test_object_storage_paths_with_file_uris(self, write_lines, tmp_path: Path) -> None:
        from airflow.sdk import ObjectStoragePath

        source = write_lines("data.jsonl", tickets(40))
        result = prepare_tuning_dataset(
            f"file://{source}",
            train_path=ObjectStoragePath(f"file://{tmp_path}/out/train.jsonl"),
            eval_path=f"file://{tmp_path}/out/eval.jsonl",
            eval_fraction=0.3,
        )
        assert result.source == f"file://{source}"
        assert result.train_path == f"file://{tmp_path}/out/train.jsonl"
        assert result.eval_path == f"file://{tmp_path}/out/eval.jsonl"
        assert len(read_jsonl(tmp_path / "out" / "train.jsonl")) == result.train_count
        assert len(read_jsonl(tmp_path / "out" / "eval.jsonl")) == result.eval_count
        assert result.train_count + result.eval_count == 40
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            "eval.jsonl",
            "train.jsonl",
        ]

    def test_local_paths_are_reported_absolute(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        result = prepare_tuning_dataset(
            tickets(3), train_path="train.jsonl", eval_path="eval.jsonl", eval_fraction=0.0
        )
        assert result.train_path == str(tmp_path / "train.jsonl")
        assert result.eval_path == str(tmp_path / "eval.jsonl")


class TestAtomicWrites:
    def test_targets_appear_only_when_everything_succeeded(self, tmp_path: Path) -> None:
        seen_during_run: list[list[str]] = []

        def records() -> Iterator[dict[str, str]]:
            yield from tickets(10)
            seen_during_run.append(sorted(path.name for path in tmp_path.iterdir()))

        prepare(records(), tmp_path)
        (during,) = seen_during_run
        assert len(during) == 2
        assert all(name.startswith((".train.jsonl.", ".eval.jsonl.")) for name in during)
        assert all(name.endswith(".tmp") for name in during)
        assert sorted(path.name for path in tmp_path.iterdir()) == ["eval.jsonl", "train.jsonl"]

    def test_a_failure_midway_keeps_old_files_and_leaves_no_temporary_file(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "train.jsonl").write_text("old train\n", encoding="utf-8")
        (tmp_path / "eval.jsonl").write_text("old eval\n", encoding="utf-8")

        def records() -> Iterator[dict[str, str]]:
            yield from tickets(50)
            raise OSError("connection reset while reading")

        with pytest.raises(OSError, match="connection reset"):
            prepare(records(), tmp_path)
        assert (tmp_path / "train.jsonl").read_text(encoding="utf-8") == "old train\n"
        assert (tmp_path / "eval.jsonl").read_text(encoding="utf-8") == "old eval\n"
        assert sorted(path.name for path in tmp_path.iterdir()) == ["eval.jsonl", "train.jsonl"]

    def test_an_unreadable_csv_leaves_nothing(self, tmp_path: Path) -> None:
        source = tmp_path / "data.csv"
        source.write_text('input,output\na,b\n"c"x,d\n', encoding="utf-8")
        out = tmp_path / "out"
        with pytest.raises(SourceFormatError, match="near line 3"):
            prepare(source, out)
        assert list(out.iterdir()) == []


class TestArguments:
    def test_evaluation_path_is_required_for_a_positive_fraction(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="eval_path is required"):
            prepare_tuning_dataset(tickets(3), train_path=tmp_path / "t.jsonl", eval_path=None)

    def test_paths_must_differ(self, tmp_path: Path) -> None:
        path = tmp_path / "same.jsonl"
        with pytest.raises(ValueError, match="train_path and eval_path are the same"):
            prepare_tuning_dataset(tickets(3), train_path=path, eval_path=str(path))

    def test_fraction_must_be_below_one(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="eval_fraction"):
            prepare(tickets(3), tmp_path, eval_fraction=1.0)

    def test_error_cap_must_not_be_negative(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="max_reported_errors"):
            prepare(tickets(3), tmp_path, max_reported_errors=-1)


class TestEmptyResults:
    def test_an_empty_source_is_an_error(self, write_lines, tmp_path: Path) -> None:
        with pytest.raises(DatasetError, match="the source has no records"):
            prepare(write_lines("data.jsonl", ["", ""]), tmp_path / "out")
        assert list((tmp_path / "out").iterdir()) == []

    def test_nothing_left_for_training_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetError, match=r"no training example is left: 2 records read"):
            prepare([("a", ""), ("b", " ")], tmp_path, drop_invalid=True)

    def test_everything_in_evaluation_is_an_error(self, tmp_path: Path) -> None:
        selector = EvalSelector(0.5)
        goes_to_eval = next(
            (str(n), "x")
            for n in range(100)
            if selector.is_eval(example_fingerprint(Example(str(n), "x")))
        )
        with pytest.raises(DatasetError, match="1 sent to evaluation"):
            prepare([goes_to_eval], tmp_path, eval_fraction=0.5)


class TestStatistics:
    def test_counts_add_up_and_to_dict_is_json(self, write_lines, tmp_path: Path) -> None:
        rows = [*tickets(60), *tickets(5), {"output": ""}, "{oops"]
        source = write_lines("data.jsonl", rows)
        result = prepare(source, tmp_path, drop_invalid=True, seed="7")
        assert result.rows_read == 67
        assert result.rows_read == result.valid + result.invalid
        assert result.valid == result.duplicates_removed + result.train_count + result.eval_count
        assert (result.invalid, result.duplicates_removed) == (2, 5)
        data = result.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert data == {
            "train_path": str(tmp_path / "train.jsonl"),
            "eval_path": str(tmp_path / "eval.jsonl"),
            "source": str(source),
            "rows_read": 67,
            "valid": 65,
            "invalid": 2,
            "duplicates_removed": 5,
            "train_count": result.train_count,
            "eval_count": result.eval_count,
            "eval_fraction": 0.25,
            "seed": "7",
            "errors": [
                {"line": 66, "message": "output is empty"},
                {
                    "line": 67,
                    "message": "not valid JSON (Expecting property name enclosed in double "
                    "quotes at column 2)",
                },
            ],
        }


def test_python_memory_does_not_grow_with_the_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Peak Python allocations for 20,000 rows stay close to those for 2,000 rows.

    Every row is invalid-free and unique, the worst case for anything kept per row.
    Duplicate detection keeps a fixed number of fingerprints in memory, then writes
    them to disk and merges the files; both are made smaller here so that both sizes
    go through every step and reach every fixed-size buffer.
    """
    monkeypatch.setattr(seen_store, "DEFAULT_MEMORY_LIMIT", 500)
    monkeypatch.setattr(seen_store, "MERGE_FANIN", 4)

    def peak_for(count: int) -> int:
        rows = ({"input": f"ticket {n} " * 5, "output": f"label {n % 7}"} for n in range(count))
        tracemalloc.start()
        try:
            prepare(rows, tmp_path / str(count), eval_fraction=0.1)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_for(2_000), peak_for(20_000)
    # Anything kept per row (even 8 bytes) would add more than 300 KiB here.
    assert large < small + 300 * 1024, (small, large)
