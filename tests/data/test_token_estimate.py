"""The token rule shared with the emulator, and the billing estimate built on it."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels.data import (
    DEFAULT_EPOCH_COUNT,
    InvalidRecordError,
    count_tokens,
    estimate_billable_tokens,
    token_estimate,
)
from airflow_provider_tunedmodels.data.token_estimate import example_tokens

RULE = 'count_tokens(text) = len(re.findall(r"\\w+|[^\\w\\s]", text))'


def turn(role: str | None, *texts: str) -> dict[str, Any]:
    content: dict[str, Any] = {"parts": [{"text": text} for text in texts]}
    if role is not None:
        content["role"] = role
    return content


def test_the_rule_is_stated_in_the_module_docstring() -> None:
    assert token_estimate.__doc__ is not None
    assert RULE in token_estimate.__doc__
    assert "DEFAULT_EPOCH_COUNT = 3" in token_estimate.__doc__
    assert DEFAULT_EPOCH_COUNT == 3


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("   \n\t", 0),
        ("Hello, world!", 4),
        ("don't", 3),
        ("a_b 12.5", 4),
        ("日本語 テキスト", 2),
        ("naïve café…", 3),
        ("x+y=z", 5),
    ],
)
def test_words_and_other_symbols_are_tokens(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens


class TestSupervisedExample:
    def test_system_and_user_turns_are_input_and_model_turns_output(self) -> None:
        record = {
            "systemInstruction": turn("system", "Answer briefly."),
            "contents": [
                turn("user", "What is AI?"),
                turn("model", "AI is", "software."),
                turn(None, "And ML?"),
                turn("model", "A part of AI."),
            ],
        }
        assert example_tokens(record, "supervised") == (3 + 4 + 3, 2 + 2 + 5)

    def test_snake_case_system_instruction_counts_too(self) -> None:
        record = {"system_instruction": turn(None, "Be kind."), "contents": [turn("model", "ok")]}
        assert example_tokens(record, "supervised") == (3, 1)

    def test_other_roles_and_file_parts_count_nothing(self) -> None:
        record = {
            "contents": [
                turn("assistant", "ignored words"),
                {"role": "user", "parts": [{"fileData": {"mimeType": "image/png"}}]},
                {"role": "model", "parts": "not a list"},
            ]
        }
        assert example_tokens(record, "supervised") == (0, 0)


def test_a_preference_example_counts_all_contents_as_input() -> None:
    record = {
        "systemInstruction": turn(None, "Be funny."),
        "contents": [turn("user", "A joke?"), turn("model", "Sure."), turn("user", "Go!")],
        "completions": [
            {"score": 1, "completion": turn("model", "Why did the chicken...")},
            {"score": 0, "completion": turn("model", "No.")},
        ],
    }
    assert example_tokens(record, "preference") == (3 + 3 + 2 + 2, 7 + 2)


def reference_tokens(record: dict[str, Any], kind: str) -> tuple[int, int]:
    """The rule of the module docstring, written out again without sharing any code."""

    def texts(content: Any) -> int:
        words = [part["text"] for part in content.get("parts", [])]
        return sum(len(re.findall(r"\w+|[^\w\s]", text)) for text in words)

    system = texts(record["systemInstruction"]) if "systemInstruction" in record else 0
    if kind == "preference":
        output = sum(texts(c["completion"]) for c in record["completions"])
        return system + sum(texts(t) for t in record["contents"]), output
    user = sum(texts(t) for t in record["contents"] if t.get("role", "user") == "user")
    model = sum(texts(t) for t in record["contents"] if t.get("role") == "model")
    return system + user, model


def random_record(rng: random.Random, kind: str) -> dict[str, Any]:
    words = ("Hello", "world", ",", "it's", "42.5", "日本", "!", " ", "\n", "café", "x_y")

    def text() -> str:
        return "".join(rng.choices(words, k=rng.randint(0, 12)))

    record: dict[str, Any] = {
        "contents": [turn(("user", "model")[n % 2], text(), text()) for n in range(3)]
    }
    if rng.random() < 0.5:
        record["systemInstruction"] = turn(None, text())
    if kind == "preference":
        record["completions"] = [{"score": s, "completion": turn("model", text())} for s in (1, 0)]
    return record


@pytest.mark.parametrize("kind", ["supervised", "preference"])
def test_estimate_sums_the_rule_over_the_file_in_one_pass(tmp_path: Path, kind: str) -> None:
    rng = random.Random(kind)
    records = [random_record(rng, kind) for _ in range(300)]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    estimate = estimate_billable_tokens(path, epochs=4, kind=kind)  # type: ignore[arg-type]

    counts = [reference_tokens(record, kind) for record in records]
    per_epoch = sum(i + o for i, o in counts)
    assert estimate.example_count == 300
    assert estimate.input_tokens == sum(i for i, _ in counts)
    assert estimate.output_tokens == sum(o for _, o in counts)
    assert estimate.tokens_per_epoch == per_epoch
    assert estimate.total_billable_tokens == per_epoch * 4
    assert estimate.max_example_tokens == max(i + o for i, o in counts)
    assert (estimate.epochs, estimate.epochs_assumed) == (4, False)


def test_without_epochs_the_default_is_assumed_and_said() -> None:
    lines = [json.dumps({"contents": [turn("user", "a b"), turn("model", "c")]})]
    estimate = estimate_billable_tokens(lines)
    assert (estimate.epochs, estimate.epochs_assumed) == (DEFAULT_EPOCH_COUNT, True)
    assert estimate.total_billable_tokens == 3 * DEFAULT_EPOCH_COUNT
    data = estimate.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "example_count": 1,
        "input_tokens": 2,
        "output_tokens": 1,
        "tokens_per_epoch": 3,
        "epochs": 3,
        "epochs_assumed": True,
        "total_billable_tokens": 9,
        "max_example_tokens": 3,
        "examples_over_limit": 0,
    }


def test_examples_over_the_token_limit_are_counted() -> None:
    big = {"contents": [turn("user", "w " * 131_000), turn("model", "w " * 100)]}
    small = {"contents": [turn("user", "w"), turn("model", "w")]}
    estimate = estimate_billable_tokens([big, small, big], epochs=1)
    assert estimate.examples_over_limit == 2
    assert estimate.max_example_tokens == 131_100


def test_a_line_that_is_not_an_object_is_located(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"contents": []}\n\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InvalidRecordError, match=r"^line 3: expected a JSON object, got a list$"):
        estimate_billable_tokens(path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1, got 0"),
        ({"kind": "dpo"}, "kind must be 'supervised' or 'preference', got 'dpo'"),
    ],
)
def test_bad_arguments_fail_before_reading(options: dict[str, Any], message: str) -> None:
    def never_read() -> Any:
        raise AssertionError("the source was read")
        yield

    with pytest.raises(ValueError, match=re.escape(message)):
        estimate_billable_tokens(never_read(), **options)
