"""The written JSONL line of an example, and the fast reader of plain lines."""

from __future__ import annotations

import json
import random

import pytest

from airflow_provider_tunedmodels.data.canonical import (
    format_example_line,
    has_control_characters,
    split_plain_line,
    split_plain_lines,
)
from airflow_provider_tunedmodels.data.fingerprint import normalize_whitespace

PIECES = ("a", "b c", " ", "  ", '"', "\\", "/", "\t", "\n", "\x00", "\x1f", "\x7f", "é", "日本")


def random_text(rng: random.Random) -> str:
    return "".join(rng.choices(PIECES, k=rng.randint(0, 6)))


def test_the_line_is_what_json_dumps_writes() -> None:
    rng = random.Random(11)
    for _ in range(2_000):
        text_input, output = random_text(rng), random_text(rng)
        expected = json.dumps({"text_input": text_input, "output": output}, ensure_ascii=False)
        assert format_example_line(text_input, output) == expected + "\n"


def test_unpaired_surrogates_are_kept_as_json_dumps_keeps_them() -> None:
    line = format_example_line("a\ud800", "b")
    assert line == json.dumps({"text_input": "a\ud800", "output": "b"}, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"), [("plain", False), ("tab\there", True), ("\x00", True), ("é\x1f", True)]
)
def test_control_characters_are_found(text: str, expected: bool) -> None:
    assert has_control_characters(text) is expected


class TestSplitPlainLine:
    def test_splits_a_written_line(self) -> None:
        line = format_example_line("Where is my parcel?", "shipping").encode()
        assert split_plain_line(line) == (b"Where is my parcel?", b"shipping")

    def test_a_last_line_may_lack_its_newline(self) -> None:
        assert split_plain_line(b'{"text_input": "", "output": "x"}') == (b"", b"x")

    @pytest.mark.parametrize(
        "line",
        [
            b'{"text_input": "a", "output": "b"}\r\n',
            b'{"text_input":"a","output":"b"}\n',
            b'{"output": "b", "text_input": "a"}\n',
            b'{"input": "a", "output": "b"}\n',
            b'{"text_input": "a\\"b", "output": "c"}\n',
            b'{"text_input": "a\\nb", "output": "c"}\n',
            b'{"text_input": "a\tb", "output": "c"}\n',
            '{"text_input": "café", "output": "c"}\n'.encode(),
            b'{"text_input": "a", "output": "b", "id": "1"}\n',
            b'{"text_input": "a", "output": "b"} \n',
            b'{"text_input": "a", "output": "b"}\n\n',
            b'{"text_input": "a"}\n',
            b'{"text_input": ", "output": "b"}\n',
            b'{"text_input": "a", "output": "}\n',
            b'{"text_input": " a", "output": "b"}\n',
            b'{"text_input": "a ", "output": "b"}\n',
            b'{"text_input": "a", "output": "b  c"}\n',
            b'{"text_input": "a", "output": " "}\n',
            b'{"text_input": "a\nb", "output": "c"}\n',
            b'{"text_input": "a\\b", "output": "c"}\n',
            b'{"text_input": "a\x00b", "output": "c"}\n',
            b'{"text_input": "a\x1fb", "output": "c"}\n',
        ],
    )
    def test_leaves_other_lines_to_the_json_codec(self, line: bytes) -> None:
        assert split_plain_line(line) is None

    def test_agrees_with_the_json_codec_on_random_lines(self) -> None:
        rng = random.Random(5)
        plain = 0
        for _ in range(3_000):
            record = {"text_input": random_text(rng), "output": random_text(rng)}
            line = (json.dumps(record, ensure_ascii=rng.random() < 0.5) + "\n").encode()
            texts = split_plain_line(line)
            if texts is None:
                continue
            plain += 1
            text_input, output = (text.decode("ascii") for text in texts)
            assert json.loads(line) == {"text_input": text_input, "output": output}
            assert format_example_line(text_input, output).encode() == line
            assert normalize_whitespace(text_input) == text_input
            assert normalize_whitespace(output) == output
        assert plain > 100


class TestSplitPlainLines:
    """The batch splitter says what the line splitter says, line by line."""

    def test_a_batch_of_plain_lines(self) -> None:
        lines = [format_example_line(f"question {n}", f"answer {n}").encode() for n in range(5)]
        lines[-1] = lines[-1].rstrip(b"\n")  # the last line of a file may lack its newline
        inputs, outputs = split_plain_lines(lines) or ([], [])
        assert list(zip(inputs, outputs, strict=True)) == [split_plain_line(line) for line in lines]

    def test_one_line_that_is_not_plain_spoils_the_batch(self) -> None:
        rng = random.Random(8)
        for _ in range(2_000):
            records = [
                {"text_input": random_text(rng), "output": random_text(rng)} for _ in range(3)
            ]
            lines = [(json.dumps(r, ensure_ascii=False) + "\n").encode() for r in records]
            if rng.random() < 0.2:
                lines.insert(1, b"\n")
            each = [split_plain_line(line) for line in lines]
            batch = split_plain_lines(lines)
            if all(texts is not None for texts in each):
                assert batch is not None
                assert list(zip(*batch, strict=True)) == each
            else:
                assert batch is None

    def test_a_newline_inside_a_text_spoils_the_batch(self) -> None:
        lines = [
            b'{"text_input": "a", "output": "b"}\n',
            b'{"text_input": "a\nb", "output": "c"}\n',
        ]
        assert split_plain_lines(lines) is None

    def test_an_empty_batch_is_not_plain(self) -> None:
        assert split_plain_lines([]) is None
