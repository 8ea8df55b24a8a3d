"""Validation of examples against the documented Gemini API limits."""

from __future__ import annotations

import pytest

from airflow_provider_tunedmodels.data import (
    Example,
    InvalidRecordError,
    RowError,
    check_record,
    example_problems,
    validate_example,
)
from airflow_provider_tunedmodels.models.gemini.limits import (
    MAX_EXAMPLE_INPUT_CHARS,
    MAX_EXAMPLE_OUTPUT_CHARS,
)


def test_the_documented_limits_are_used() -> None:
    assert MAX_EXAMPLE_INPUT_CHARS == 40_000
    assert MAX_EXAMPLE_OUTPUT_CHARS == 5_000


@pytest.mark.parametrize(
    "example",
    [
        Example("question", "answer"),
        Example("", "an empty input is allowed"),
        Example("x" * 40_000, "y" * 5_000),
        Example("  spaces around are fine  ", "  answer "),
    ],
)
def test_valid_examples_have_no_problems(example: Example) -> None:
    assert example_problems(example) == []
    validate_example(example)


@pytest.mark.parametrize(
    ("example", "problems"),
    [
        (Example("q", "y" * 5_210), ["output is 5,210 characters; the limit is 5,000"]),
        (Example("x" * 40_001, "a"), ["input is 40,001 characters; the limit is 40,000"]),
        (Example("q", ""), ["output is empty"]),
        (Example("q", " \n\t"), ["output is blank (whitespace only)"]),
        (
            Example("q", "bad \ud800 text"),
            [
                "output has a character that cannot be encoded as UTF-8 "
                "(an unpaired surrogate at character 5)"
            ],
        ),
        (
            Example("x" * 41_000, ""),
            ["input is 41,000 characters; the limit is 40,000", "output is empty"],
        ),
    ],
)
def test_each_broken_rule_is_described(example: Example, problems: list[str]) -> None:
    assert example_problems(example) == problems
    with pytest.raises(InvalidRecordError) as raised:
        validate_example(example)
    assert str(raised.value) == "; ".join(problems)


def test_characters_are_code_points_not_bytes() -> None:
    # 5,000 three-byte characters are within the 5,000-character limit.
    assert example_problems(Example("q", "€" * 5_000)) == []


class TestCheckRecord:
    def test_returns_the_example_when_valid(self) -> None:
        assert check_record(3, {"input": "q", "output": "a"}) == Example("q", "a")

    def test_locates_a_limit_error_with_the_documented_wording(self) -> None:
        error = check_record(17, {"input": "q", "output": "y" * 5_210})
        assert error == RowError(17, "output is 5,210 characters; the limit is 5,000")
        assert str(error) == "line 17: output is 5,210 characters; the limit is 5,000"

    def test_locates_a_shape_error(self) -> None:
        error = check_record(4, {"input": "q"})
        assert str(error) == "line 4: output is missing"

    def test_in_memory_items_are_called_items(self) -> None:
        error = check_record(2, ("q", ""), unit="item")
        assert isinstance(error, RowError)
        assert str(error) == "item 2: output is empty"
        assert error.to_dict() == {"line": 2, "message": "output is empty"}
