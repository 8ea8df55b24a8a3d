"""Validation of Vertex AI tuning datasets: the rules of each example and of the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.data import (
    DatasetLimitError,
    DatasetValidationError,
    RowError,
    estimate_billable_tokens,
    preference_problems,
    supervised_problems,
    validate_vertex_dataset,
    vertex_validation,
)


def user(*texts: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text} for text in texts]}


def model(*texts: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text} for text in texts]}


GOOD = {"contents": [user("What is AI?"), model("Software that learns.")]}
GOOD_PREFERENCE = {
    "contents": [user("A joke?")],
    "completions": [
        {"score": 1, "completion": model("Knock.")},
        {"score": 0.0, "completion": model("No.")},
    ],
}


def write(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


class TestSupervisedRules:
    @pytest.mark.parametrize(
        "record",
        [
            GOOD,
            {"systemInstruction": {"role": "system", "parts": [{"text": "Be brief."}]}} | GOOD,
            {"system_instruction": {"parts": [{"text": "Be brief."}]}} | GOOD,
            {"contents": [model("a model turn alone")]},
            {"contents": [user("q"), model("a"), user("q2"), model("a2")], "tools": []},
            {
                "contents": [
                    {
                        "role": "user",
                        "parts": [{"fileData": {"mimeType": "image/png", "fileUri": "gs://b/i"}}],
                    },
                    model("a cat"),
                ]
            },
            {
                "contents": [
                    {
                        "role": "user",
                        "parts": [{"file_data": {"mime_type": "a/b", "file_uri": "gs://x"}}],
                    },
                    model("x"),
                ]
            },
        ],
    )
    def test_valid_examples_have_no_problems(self, record: dict[str, Any]) -> None:
        assert supervised_problems(record) == []

    @pytest.mark.parametrize(
        ("record", "problems"),
        [
            ([1], ["expected a JSON object, got a list"]),
            ("text", ["expected a JSON object, got a string"]),
            (None, ["expected a JSON object, got null"]),
            ({}, ["contents is missing"]),
            ({"contents": []}, ["contents must be a non-empty list of turns"]),
            ({"contents": {"role": "user"}}, ["contents must be a non-empty list of turns"]),
            (
                {"contents": ["hi", model("a")]},
                ["contents[0] must be an object with role and parts"],
            ),
            (
                {"contents": [{"parts": [{"text": "q"}]}, model("a")]},
                ['contents[0] has no role; use "user" or "model"'],
            ),
            (
                {"contents": [{"role": "assistant", "parts": [{"text": "a"}]}]},
                ['contents[0].role is "assistant"; use "user" or "model"'],
            ),
            (
                {"contents": [user("q"), {"role": "model", "parts": []}]},
                ["contents[1].parts must be a non-empty list of parts"],
            ),
            (
                {"contents": [user("q"), {"role": "model", "parts": [{"text": 5}, "x"]}]},
                [
                    "contents[1].parts[0] needs a string text (or a fileData with mimeType and fileUri)",
                    "contents[1].parts[1] needs a string text (or a fileData with mimeType and fileUri)",
                ],
            ),
            (
                {
                    "contents": [
                        {"role": "user", "parts": [{"fileData": {"mimeType": "a/b"}}]},
                        model("a"),
                    ]
                },
                ["contents[0].parts[0] has a fileData without a string mimeType and fileUri"],
            ),
            (
                {"contents": [user("q"), user("again"), model("a")]},
                ["contents[1] is a second user turn in a row; roles must alternate"],
            ),
            (
                {"contents": [user("q")]},
                ["contents has no model turn; a supervised example needs one"],
            ),
            (
                {"systemInstruction": "Be brief."} | GOOD,
                ["systemInstruction must be an object with parts"],
            ),
            (
                {"systemInstruction": {"parts": [{"fileData": {}}]}} | GOOD,
                ["systemInstruction.parts[0] is a fileData part; only text parts are allowed here"],
            ),
            (
                {"systemInstruction": {"parts": [{"text": "a"}]}, "system_instruction": None}
                | GOOD,
                [
                    "systemInstruction is given twice (systemInstruction and system_instruction); "
                    "keep only one of them"
                ],
            ),
            (
                {"contents": [user("w " * 131_000), model("w " * 73)]},
                ["the example has 131,073 tokens (input and output); the limit is 131,072"],
            ),
        ],
    )
    def test_each_broken_rule_is_described(self, record: object, problems: list[str]) -> None:
        assert supervised_problems(record) == problems

    def test_all_problems_of_a_line_are_listed(self) -> None:
        record = {"contents": [{"role": "bot", "parts": []}, user("q"), user("r")]}
        assert supervised_problems(record) == [
            'contents[0].role is "bot"; use "user" or "model"',
            "contents[0].parts must be a non-empty list of parts",
            "contents[2] is a second user turn in a row; roles must alternate",
        ]


class TestPreferenceRules:
    def test_a_valid_example(self) -> None:
        assert preference_problems(GOOD_PREFERENCE) == []
        longer = GOOD_PREFERENCE | {"contents": [user("a"), model("b"), user("c")]}
        assert preference_problems(longer) == []

    @pytest.mark.parametrize(
        ("change", "problems"),
        [
            ({"contents": [user("q"), model("a")]}, ["contents must end on a user turn"]),
            (
                {
                    "contents": [
                        {"role": "user", "parts": [{"fileData": {"mimeType": "a", "fileUri": "b"}}]}
                    ]
                },
                ["contents[0].parts[0] is a fileData part; only text parts are allowed here"],
            ),
            ({"completions": None}, ["completions is missing"]),
            ({"completions": {}}, ["completions must be a list"]),
            (
                {"completions": [{"score": 1, "completion": model("a")}]},
                [
                    "completions must hold exactly two completions: one preferred (score 1) "
                    "and one dispreferred (score 0)"
                ],
            ),
            (
                {
                    "completions": [
                        {"score": 1, "completion": model("a")},
                        {"score": 1, "completion": model("b")},
                    ]
                },
                [
                    "completions must hold exactly two completions: one preferred (score 1) "
                    "and one dispreferred (score 0)"
                ],
            ),
            (
                {
                    "completions": [
                        {"score": True, "completion": model("a")},
                        {"score": 0, "completion": user("b")},
                    ]
                },
                [
                    "completions[0].score is true; use 1 (preferred) or 0 (dispreferred)",
                    'completions[1].completion must be a turn with role "model"',
                    "completions must hold exactly two completions: one preferred (score 1) "
                    "and one dispreferred (score 0)",
                ],
            ),
        ],
    )
    def test_each_broken_rule_is_described(
        self, change: dict[str, Any], problems: list[str]
    ) -> None:
        record = {
            key: value for key, value in (GOOD_PREFERENCE | change).items() if value is not None
        }
        assert preference_problems(record) == problems


class TestDatasetValidation:
    def test_a_valid_file_is_reported_with_its_tokens(self, tmp_path: Path) -> None:
        path = write(tmp_path / "train.jsonl", [GOOD, GOOD, ""])
        report = validate_vertex_dataset(path)
        assert (report.examples_read, report.valid, report.invalid) == (2, 2, 0)
        assert report.valid_bytes == path.stat().st_size - 1  # the blank line is not an example
        assert report.billing_estimate(epochs=2) == estimate_billable_tokens(path, epochs=2)
        data = report.to_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["source"] == str(path)
        assert (data["input_tokens"], data["output_tokens"]) == (8, 8)

    def test_strict_mode_lists_every_bad_line_with_its_number(self, tmp_path: Path) -> None:
        path = tmp_path / "train.jsonl"
        path.write_bytes(
            b"\xef\xbb\xbf"
            + json.dumps(GOOD).encode()
            + b"\n\n{broken\n"
            + json.dumps({"contents": [user("q")]}).encode()
            + b"\n"
        )
        with pytest.raises(DatasetValidationError) as raised:
            validate_vertex_dataset(path, drop_invalid=False)
        assert str(raised.value).splitlines() == [
            f"2 of 3 records in {path} are invalid; fix them, or pass drop_invalid=True "
            "to drop and count them:",
            "  line 3: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
            "  line 4: contents has no model turn; a supervised example needs one",
        ]

    def test_the_list_is_capped_and_file_limits_are_listed_too(self) -> None:
        lines = [{"contents": []}] * 7
        with pytest.raises(DatasetValidationError) as raised:
            validate_vertex_dataset(lines, split="validation", max_reported_errors=2)
        assert str(raised.value).splitlines()[1:] == [
            "  item 1: contents must be a non-empty list of turns",
            "  item 2: contents must be a non-empty list of turns",
            "  and 5 more",
        ]
        assert raised.value.invalid_count == 7

    def test_drop_mode_counts_and_writes_only_the_valid_lines(self, tmp_path: Path) -> None:
        good_line = json.dumps(GOOD, indent=None, separators=(", ", ": "))
        path = write(tmp_path / "train.jsonl", [good_line, "[]", good_line])
        report = validate_vertex_dataset(
            path, drop_invalid=True, valid_path=tmp_path / "clean.jsonl"
        )
        assert (report.valid, report.invalid) == (2, 1)
        assert report.errors == (RowError(2, "expected a JSON object, got a list"),)
        assert (tmp_path / "clean.jsonl").read_text(encoding="utf-8") == f"{good_line}\n" * 2
        assert report.valid_path == str(tmp_path / "clean.jsonl")

    def test_a_failed_check_writes_nothing(self, tmp_path: Path) -> None:
        path = write(tmp_path / "train.jsonl", [GOOD, "[]"])
        with pytest.raises(DatasetValidationError):
            validate_vertex_dataset(path, valid_path=tmp_path / "out" / "clean.jsonl")
        assert list((tmp_path / "out").iterdir()) == []

    def test_preference_files(self) -> None:
        report = validate_vertex_dataset(
            [GOOD_PREFERENCE, GOOD], kind="preference", drop_invalid=True
        )
        assert (report.valid, report.invalid) == (1, 1)
        assert report.errors[0].message.startswith("contents must end on a user turn")


class TestFileLimits:
    def test_a_validation_file_takes_at_most_5000_examples(self) -> None:
        with pytest.raises(DatasetLimitError) as raised:
            validate_vertex_dataset([GOOD] * 5_001, split="validation")
        assert str(raised.value).splitlines() == [
            "<in-memory dataset> breaks the dataset limits:",
            "  the file has 5,001 examples; a validation file takes at most 5,000",
        ]
        assert validate_vertex_dataset([GOOD] * 5_000, split="validation").valid == 5_000

    def test_size_and_count_limits_of_training_files(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(vertex_validation, "MAX_DATASET_BYTES", 300)
        monkeypatch.setattr(vertex_validation, "MAX_SUPERVISED_TEXT_EXAMPLES", 3)
        monkeypatch.setattr(vertex_validation, "MAX_SUPERVISED_MULTIMODAL_EXAMPLES", 2)
        size = len(json.dumps(GOOD, separators=(",", ":")).encode()) + 1
        with pytest.raises(DatasetLimitError) as raised:
            validate_vertex_dataset([GOOD] * 4)
        assert raised.value.problems == (
            f"the file is {4 * size:,} bytes; the limit is 300 (1 GB)",
            "the file has 4 examples; a supervised training file takes at most 3",
        )
        image = {
            "contents": [
                {"role": "user", "parts": [{"fileData": {"mimeType": "a", "fileUri": "b"}}]},
                model("c"),
            ]
        }
        with pytest.raises(DatasetLimitError, match="with file parts takes at most 2"):
            validate_vertex_dataset([image] * 3)

    def test_when_dropping_the_limits_apply_to_the_valid_part(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(vertex_validation, "MAX_PREFERENCE_EXAMPLES", 2)
        lines = [GOOD_PREFERENCE, GOOD_PREFERENCE, {"contents": []}]
        assert validate_vertex_dataset(lines, kind="preference", drop_invalid=True).valid == 2
        with pytest.raises(
            DatasetValidationError, match="and the file has 3 examples; a preference"
        ):
            validate_vertex_dataset(lines, kind="preference")

    def test_an_empty_file_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(DatasetLimitError, match="the file has no examples"):
            validate_vertex_dataset(write(tmp_path / "empty.jsonl", ["", " "]))
        with pytest.raises(DatasetLimitError, match="no valid example is left"):
            validate_vertex_dataset(["[]"], drop_invalid=True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "dpo"}, "kind must be 'supervised' or 'preference'"),
        ({"split": "test"}, "split must be 'training' or 'validation'"),
        ({"max_reported_errors": -1}, "max_reported_errors must not be negative"),
    ],
)
def test_bad_arguments(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_vertex_dataset([GOOD], **options)
