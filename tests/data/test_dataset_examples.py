"""Readers and writers of tuning examples: JSONL, CSV, in-memory and ObjectStoragePath."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.data import (
    Example,
    InvalidRecordError,
    SourceFormatError,
    UnreadableRecord,
    example_from_record,
    iter_examples,
    iter_records,
    write_jsonl,
)


class TestExampleFromRecord:
    @pytest.mark.parametrize("input_key", ["text_input", "textInput", "input", "prompt"])
    @pytest.mark.parametrize("output_key", ["output", "completion", "target"])
    def test_accepts_every_key_spelling(self, input_key: str, output_key: str) -> None:
        record = {input_key: "question", output_key: "answer", "id": "ignored"}
        assert example_from_record(record) == Example("question", "answer")

    def test_missing_or_null_input_reads_as_empty(self) -> None:
        assert example_from_record({"output": "answer"}) == Example("", "answer")
        assert example_from_record({"input": None, "output": "answer"}) == Example("", "answer")

    def test_pairs_and_examples(self) -> None:
        assert example_from_record(("question", "answer")) == Example("question", "answer")
        assert example_from_record(["question", "answer"]) == Example("question", "answer")
        example = Example("question", "answer")
        assert example_from_record(example) is example

    @pytest.mark.parametrize(
        ("record", "message"),
        [
            ({"input": "question"}, "output is missing"),
            ({"input": "question", "output": None}, "output is missing"),
            ({"input": "question", "output": 3}, "output must be a string, got int"),
            ({"input": ["a"], "output": "b"}, "input must be a string, got list"),
            (
                {"input": "a", "prompt": "b", "output": "c"},
                "input is given twice (input and prompt); keep only one of them",
            ),
            (
                {"output": "a", "target": "b"},
                "output is given twice (output and target); keep only one of them",
            ),
            (("only one",), "a sequence record needs exactly 2 items (input, output), got 1"),
            ("a string", "expected an object with input and output, got str"),
            (42, "expected an object with input and output, got int"),
            (UnreadableRecord("not valid JSON"), "not valid JSON"),
        ],
    )
    def test_rejects_bad_shapes(self, record: object, message: str) -> None:
        with pytest.raises(InvalidRecordError) as raised:
            example_from_record(record)
        assert str(raised.value) == message


class TestJsonl:
    def test_positions_are_line_numbers_and_blank_lines_are_skipped(self, write_lines) -> None:
        path = write_lines(
            "data.jsonl",
            [{"input": "a", "output": "1"}, "", "   ", {"input": "b", "output": "2"}],
        )
        assert list(iter_records(path)) == [
            (1, {"input": "a", "output": "1"}),
            (4, {"input": "b", "output": "2"}),
        ]

    def test_broken_json_becomes_an_unreadable_record_and_reading_goes_on(
        self, write_lines
    ) -> None:
        path = write_lines("data.jsonl", ['{"input": "a", "output": ', {"output": "ok"}])
        records = list(iter_records(path))
        assert records[0] == (
            1,
            UnreadableRecord("not valid JSON (Expecting value at column 26)"),
        )
        assert records[1] == (2, {"output": "ok"})

    def test_bad_utf8_spoils_only_its_line(self, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        path.write_bytes(b'{"output": "caf\xe9"}\n{"output": "fine"}\n')
        records = list(iter_records(path))
        assert records == [
            (1, UnreadableRecord("not valid UTF-8 (byte 16 of the line)")),
            (2, {"output": "fine"}),
        ]

    def test_byte_order_mark_and_crlf_are_accepted(self, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        path.write_bytes(b'\xef\xbb\xbf{"output": "a"}\r\n{"output": "b"}\r\n')
        assert list(iter_examples(path)) == [Example("", "a"), Example("", "b")]

    def test_ndjson_suffix_and_explicit_format(self, tmp_path: Path) -> None:
        ndjson = tmp_path / "data.ndjson"
        ndjson.write_text('{"output": "a"}\n', encoding="utf-8")
        assert list(iter_examples(ndjson)) == [Example("", "a")]
        no_suffix = tmp_path / "data.txt"
        no_suffix.write_text('{"output": "b"}\n', encoding="utf-8")
        assert list(iter_examples(no_suffix, file_format="jsonl")) == [Example("", "b")]

    def test_unknown_suffix_asks_for_a_format(self, tmp_path: Path) -> None:
        path = tmp_path / "data.txt"
        path.write_text("", encoding="utf-8")
        with pytest.raises(
            SourceFormatError, match="pass file_format='jsonl' or file_format='csv'"
        ):
            list(iter_records(path))

    def test_an_unknown_explicit_format_is_rejected(self, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        path.write_text("", encoding="utf-8")
        with pytest.raises(SourceFormatError, match="unknown file_format 'xml'"):
            list(iter_records(path, file_format="xml"))  # type: ignore[arg-type]

    def test_non_ascii_text_round_trips(self, tmp_path: Path) -> None:
        examples = [Example("Où est ma commande ? 🚚", "livraison"), Example("", "数据")]
        path = tmp_path / "out.jsonl"
        assert write_jsonl(examples, path) == 2
        assert "🚚" in path.read_text(encoding="utf-8")  # written as UTF-8, not escaped
        assert list(iter_examples(path)) == examples


class TestCsv:
    def test_reads_rows_with_the_line_each_starts_on(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text(
            'prompt,completion,id\nhello,world,1\n"two\nlines",x,2\n\nlast,y,3\n', encoding="utf-8"
        )
        records = list(iter_records(path))
        assert [position for position, _ in records] == [2, 3, 6]
        assert list(iter_examples(path)) == [
            Example("hello", "world"),
            Example("two\nlines", "x"),
            Example("last", "y"),
        ]

    def test_header_without_an_output_column_is_rejected(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text("input,label\na,b\n", encoding="utf-8")
        with pytest.raises(SourceFormatError, match="has no output column"):
            list(iter_records(path))

    def test_empty_file_is_rejected(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text("", encoding="utf-8")
        with pytest.raises(SourceFormatError, match="a header row is required"):
            list(iter_records(path))

    def test_rows_with_the_wrong_number_of_fields_are_unreadable(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text("input,output\na\nb,c,d\ne,f\n", encoding="utf-8")
        assert list(iter_records(path)) == [
            (2, UnreadableRecord("row has fewer fields than the header")),
            (3, UnreadableRecord("row has more fields than the header")),
            (4, {"input": "e", "output": "f"}),
        ]

    def test_a_csv_syntax_error_fails_the_whole_file_with_its_line(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_text('input,output\na,b\n"c"x,d\n', encoding="utf-8")
        with pytest.raises(SourceFormatError, match="near line 3: cannot read the CSV file"):
            list(iter_records(path))

    def test_byte_order_mark_is_ignored(self, tmp_path: Path) -> None:
        path = tmp_path / "data.csv"
        path.write_bytes(b"\xef\xbb\xbfinput,output\na,b\n")
        assert list(iter_examples(path)) == [Example("a", "b")]


class TestInMemory:
    def test_positions_are_item_indexes(self) -> None:
        records = [{"input": "a", "output": "1"}, ("b", "2"), Example("c", "3")]
        assert [position for position, _ in iter_records(records)] == [1, 2, 3]
        assert list(iter_examples(records)) == [
            Example("a", "1"),
            Example("b", "2"),
            Example("c", "3"),
        ]

    @pytest.mark.parametrize("source", [{"input": "a", "output": "b"}, b"data", 42])
    def test_a_single_mapping_bytes_or_number_is_not_a_source(self, source: object) -> None:
        with pytest.raises(TypeError, match="expected a file path, a URI"):
            list(iter_records(source))  # type: ignore[arg-type]

    def test_generators_are_consumed_lazily(self) -> None:
        consumed: list[int] = []

        def records():
            for number in range(3):
                consumed.append(number)
                yield {"output": str(number)}

        examples = iter_examples(records())
        assert next(examples) == Example("", "0")
        assert consumed == [0]

    def test_strict_reader_names_the_bad_item(self) -> None:
        with pytest.raises(InvalidRecordError, match=r"^item 2: output is missing$"):
            list(iter_examples([{"output": "a"}, {"input": "b"}]))

    def test_strict_reader_names_the_bad_line(self, write_lines) -> None:
        path = write_lines("data.jsonl", [{"output": "a"}, "", {"input": "b"}])
        with pytest.raises(InvalidRecordError, match=r"^line 3: output is missing$"):
            list(iter_examples(path))


class TestObjectStoragePath:
    def test_reads_and_writes_file_uris(self, tmp_path: Path) -> None:
        from airflow.sdk import ObjectStoragePath

        source = tmp_path / "in.jsonl"
        source.write_text(json.dumps({"prompt": "q", "target": "a"}) + "\n", encoding="utf-8")
        uri = f"file://{source}"
        assert list(iter_examples(uri)) == [Example("q", "a")]
        assert list(iter_examples(ObjectStoragePath(uri))) == [Example("q", "a")]

        destination = ObjectStoragePath(f"file://{tmp_path}/nested/out.jsonl")
        assert write_jsonl([Example("q", "a")], destination) == 1
        assert (tmp_path / "nested" / "out.jsonl").read_text(encoding="utf-8") == (
            '{"text_input": "q", "output": "a"}\n'
        )
        assert sorted(path.name for path in (tmp_path / "nested").iterdir()) == ["out.jsonl"]

    def test_only_a_plain_path_counts_as_local(self, tmp_path: Path) -> None:
        # On Airflow 3.1 an ObjectStoragePath is also a pathlib.Path.
        from airflow.sdk import ObjectStoragePath

        from airflow_provider_tunedmodels.data.storage import is_local_path

        assert is_local_path(tmp_path)
        assert not is_local_path(ObjectStoragePath(f"file://{tmp_path}"))
        assert not is_local_path(str(tmp_path))

    def test_replaces_an_existing_file_through_a_uri(self, tmp_path: Path) -> None:
        target = tmp_path / "out.jsonl"
        target.write_text("old\n", encoding="utf-8")
        write_jsonl([Example("new", "content")], f"file://{target}")
        assert target.read_text(encoding="utf-8") == (
            '{"text_input": "new", "output": "content"}\n'
        )
        assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]

    def test_reads_csv_through_a_uri(self, tmp_path: Path) -> None:
        source = tmp_path / "in.csv"
        source.write_text('input,output\n"a, b",c\n', encoding="utf-8")
        assert list(iter_examples(f"file://{source}")) == [Example("a, b", "c")]


class TestWriteJsonl:
    def test_failure_keeps_the_previous_file_and_leaves_no_temporary_file(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "out.jsonl"
        path.write_text("previous\n", encoding="utf-8")

        def examples():
            yield Example("a", "b")
            raise RuntimeError("upstream failed")

        with pytest.raises(RuntimeError, match="upstream failed"):
            write_jsonl(examples(), path)
        assert path.read_text(encoding="utf-8") == "previous\n"
        assert [entry.name for entry in tmp_path.iterdir()] == ["out.jsonl"]

    def test_creates_parent_directories(self, tmp_path: Path) -> None:
        path = tmp_path / "a" / "b" / "out.jsonl"
        assert write_jsonl([Example("x", "y")], str(path)) == 1
        assert path.exists()
