"""Evaluation metrics on hand-computed cases."""

from __future__ import annotations

import random

import pytest

from airflow_provider_tunedmodels.evaluation import (
    METRICS,
    char_similarity,
    exact_match,
    levenshtein_distance,
    normalize_text,
    score_example,
    summarize,
    token_f1,
    tokenize,
)


def test_normalisation_folds_case_and_whitespace() -> None:
    assert normalize_text("  Hello\n\tWORLD  ") == "hello world"
    assert normalize_text("Straße") == "strasse"  # case folding, not just lower()


def test_tokenize_drops_punctuation_and_symbols() -> None:
    assert tokenize("Don't panic! It's 3.5 €_") == ["dont", "panic", "its", "35"]


class TestExactMatch:
    @pytest.mark.parametrize(
        ("prediction", "reference", "expected"),
        [
            ("billing", "billing", 1.0),
            ("  Billing\n", "billing", 1.0),
            ("new  york", "New York", 1.0),
            ("billing.", "billing", 0.0),
            ("bill", "billing", 0.0),
            ("", "", 1.0),
        ],
    )
    def test_cases(self, prediction: str, reference: str, expected: float) -> None:
        assert exact_match(prediction, reference) == expected


class TestTokenF1:
    def test_partial_overlap(self) -> None:
        # shared {the, cat}: precision 2/3, recall 2/4, F1 = 2*(2/3)*(1/2)/(2/3+1/2) = 4/7
        assert token_f1("the cat sat", "the cat is here") == pytest.approx(4 / 7)

    def test_repeated_words_count_as_often_as_they_appear_in_both(self) -> None:
        # shared: one "the"; precision 1/3, recall 1/1 -> F1 = 0.5
        assert token_f1("the the the", "the") == pytest.approx(0.5)

    def test_identical_after_normalisation(self) -> None:
        assert token_f1("The cat, sat!", "the cat sat") == 1.0

    def test_order_does_not_matter(self) -> None:
        assert token_f1("sat cat the", "the cat sat") == 1.0

    def test_no_overlap(self) -> None:
        assert token_f1("dog", "cat") == 0.0

    @pytest.mark.parametrize(
        ("prediction", "reference", "expected"),
        [("", "", 1.0), ("!!", "...", 1.0), ("", "cat", 0.0), ("cat", "", 0.0)],
    )
    def test_texts_without_words(self, prediction: str, reference: str, expected: float) -> None:
        assert token_f1(prediction, reference) == expected


class TestCharSimilarity:
    def test_kitten_sitting(self) -> None:
        # distance 3 over the longer length 7
        assert char_similarity("kitten", "sitting") == pytest.approx(1 - 3 / 7)

    def test_normalises_before_comparing(self) -> None:
        assert char_similarity("  Shipping ", "shipping") == 1.0

    def test_bounds(self) -> None:
        assert char_similarity("", "") == 1.0
        assert char_similarity("abc", "") == 0.0
        assert char_similarity("abc", "xyz") == 0.0

    def test_is_symmetric(self) -> None:
        assert char_similarity("returns", "refund") == char_similarity("refund", "returns")


def reference_levenshtein(first: str, second: str) -> int:
    """The textbook dynamic-programming table, row by row."""
    previous = list(range(len(second) + 1))
    for row, first_char in enumerate(first, start=1):
        current = [row]
        for column, second_char in enumerate(second, start=1):
            current.append(
                min(
                    previous[column] + 1,
                    current[column - 1] + 1,
                    previous[column - 1] + (first_char != second_char),
                )
            )
        previous = current
    return previous[-1]


class TestLevenshtein:
    @pytest.mark.parametrize(
        ("first", "second", "distance"),
        [
            ("", "", 0),
            ("", "abc", 3),
            ("abc", "abc", 0),
            ("kitten", "sitting", 3),
            ("flaw", "lawn", 2),
            ("intention", "execution", 5),
            ("a" * 70, "b" * 70, 70),  # longer than one 64-bit word
        ],
    )
    def test_known_distances(self, first: str, second: str, distance: int) -> None:
        assert levenshtein_distance(first, second) == distance
        assert levenshtein_distance(second, first) == distance

    def test_agrees_with_the_textbook_algorithm(self) -> None:
        rng = random.Random(11)
        for _ in range(1_000):
            first = "".join(rng.choices("abcd", k=rng.randint(0, 30)))
            second = "".join(rng.choices("abcde", k=rng.randint(0, 30)))
            assert levenshtein_distance(first, second) == reference_levenshtein(first, second)

    def test_agrees_on_long_texts(self) -> None:
        rng = random.Random(12)
        for _ in range(5):
            first = "".join(rng.choices("abc de", k=rng.randint(100, 250)))
            second = "".join(rng.choices("abc de", k=rng.randint(100, 250)))
            assert levenshtein_distance(first, second) == reference_levenshtein(first, second)


class TestRegistry:
    def test_names_map_to_the_functions(self) -> None:
        assert dict(METRICS) == {
            "exact_match": exact_match,
            "token_f1": token_f1,
            "char_similarity": char_similarity,
        }

    def test_is_read_only(self) -> None:
        with pytest.raises(TypeError):
            METRICS["other"] = exact_match  # type: ignore[index]

    def test_score_example_with_all_or_some_metrics(self) -> None:
        assert score_example("the cat", "The cat") == {
            "exact_match": 1.0,
            "token_f1": 1.0,
            "char_similarity": 1.0,
        }
        assert score_example("cat", "dog", ["token_f1"]) == {"token_f1": 0.0}

    def test_score_example_rejects_unknown_names(self) -> None:
        with pytest.raises(KeyError, match="unknown metric"):
            score_example("a", "b", ["bleu"])


class TestSummarize:
    def test_means_and_count(self) -> None:
        rows = [
            {"exact_match": 1.0, "token_f1": 1.0},
            {"exact_match": 0.0, "token_f1": 0.5},
            {"exact_match": 0.0, "token_f1": 0.0},
            {"exact_match": 1.0, "token_f1": 0.5},
        ]
        assert summarize(rows) == {"count": 4, "exact_match": 0.5, "token_f1": 0.5}

    def test_consumes_a_generator_once(self) -> None:
        rows = ({"token_f1": value} for value in (0.25, 0.75))
        assert summarize(rows) == {"count": 2, "token_f1": 0.5}

    def test_nothing_to_summarize(self) -> None:
        assert summarize([]) == {"count": 0}

    def test_rejects_inconsistent_metrics(self) -> None:
        with pytest.raises(ValueError, match="example 2 has metrics"):
            summarize([{"exact_match": 1.0}, {"token_f1": 1.0}])

    def test_rejects_a_metric_named_count(self) -> None:
        with pytest.raises(ValueError, match="cannot be named 'count'"):
            summarize([{"count": 1.0}])
