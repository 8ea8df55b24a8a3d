"""Duplicate fingerprints, the deterministic split, and the bounded set of seen fingerprints."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.data import (
    EvalSelector,
    Example,
    example_fingerprint,
    normalize_whitespace,
    seen_store,
)
from airflow_provider_tunedmodels.data.fingerprint import (
    normalized_fingerprint,
    text_fingerprint,
)
from airflow_provider_tunedmodels.data.seen_store import SeenStore


def test_whitespace_is_stripped_and_collapsed() -> None:
    assert normalize_whitespace("  a \t b\n\nc  ") == "a b c"
    assert normalize_whitespace(" \n ") == ""


class TestFingerprint:
    def test_is_16_bytes_and_stable(self) -> None:
        fingerprint = example_fingerprint(Example("question", "answer"))
        assert len(fingerprint) == 16
        assert fingerprint == example_fingerprint(Example("question", "answer"))

    def test_ignores_whitespace_differences(self) -> None:
        assert example_fingerprint(Example("a  b", "c\n")) == example_fingerprint(
            Example(" a b", "c")
        )

    def test_keeps_case_and_punctuation(self) -> None:
        base = example_fingerprint(Example("a", "b"))
        assert example_fingerprint(Example("A", "b")) != base
        assert example_fingerprint(Example("a", "b.")) != base

    def test_does_not_confuse_where_input_ends(self) -> None:
        assert example_fingerprint(Example("ab", "c")) != example_fingerprint(Example("a", "bc"))


class TestEvalSelector:
    fingerprints = [example_fingerprint(Example(f"ticket {n}", "label")) for n in range(10_000)]

    def test_selects_about_the_requested_fraction(self) -> None:
        selector = EvalSelector(0.2)
        selected = sum(selector.is_eval(fingerprint) for fingerprint in self.fingerprints)
        # The hash is deterministic, so this count is fixed; it is close to 2,000.
        assert 1_850 < selected < 2_150

    def test_is_deterministic_and_depends_on_the_seed(self) -> None:
        def chosen(selector: EvalSelector) -> list[bool]:
            return [selector.is_eval(fingerprint) for fingerprint in self.fingerprints]

        assert chosen(EvalSelector(0.3, "a")) == chosen(EvalSelector(0.3, "a"))
        assert chosen(EvalSelector(0.3, "a")) != chosen(EvalSelector(0.3, "b"))
        assert chosen(EvalSelector(0.3)) != chosen(EvalSelector(0.3, "a"))

    def test_a_larger_fraction_keeps_earlier_choices(self) -> None:
        small, large = EvalSelector(0.1, "s"), EvalSelector(0.5, "s")
        assert all(large.is_eval(f) for f in self.fingerprints if small.is_eval(f))

    def test_zero_selects_nothing(self) -> None:
        selector = EvalSelector(0.0)
        assert not any(selector.is_eval(fingerprint) for fingerprint in self.fingerprints)

    @pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, float("nan")])
    def test_rejects_fractions_outside_zero_to_one(self, fraction: float) -> None:
        with pytest.raises(ValueError, match="eval_fraction must be at least 0 and below 1"):
            EvalSelector(fraction)


class TestSeenStore:
    def test_tells_new_from_seen(self) -> None:
        with SeenStore() as seen:
            assert seen.add(b"a") is True
            assert seen.add(b"b") is True
            assert seen.add(b"a") is False

    def test_remembers_many_fingerprints(self) -> None:
        fingerprints = [example_fingerprint(Example(str(n), "x")) for n in range(20_000)]
        with SeenStore(memory_limit=1_000) as seen:
            assert all(seen.add(fingerprint) for fingerprint in fingerprints)
            assert not any(seen.add(fingerprint) for fingerprint in fingerprints[::1000])

    @pytest.mark.parametrize("memory_limit", [1, 7, 100, 5_000])
    def test_answers_like_a_set_through_spills_and_merges(
        self, monkeypatch: pytest.MonkeyPatch, memory_limit: int
    ) -> None:
        monkeypatch.setattr(seen_store, "MERGE_FANIN", 3)
        monkeypatch.setattr(seen_store, "BLOCK_RECORDS", 4)
        rng = random.Random(memory_limit)
        fresh = [rng.randbytes(16) for _ in range(3_000)]
        # A third of the stream repeats an earlier fingerprint, near or far.
        stream = [
            rng.choice(fresh[: n + 1]) if rng.random() < 0.3 else fresh[n] for n in range(3_000)
        ]
        reference: set[bytes] = set()
        with SeenStore(memory_limit=memory_limit) as seen:
            for fingerprint in stream:
                assert seen.add(fingerprint) is (fingerprint not in reference)
                reference.add(fingerprint)

    @pytest.mark.parametrize("batch", [1, 5, 64])
    def test_batches_answer_like_one_by_one(
        self, monkeypatch: pytest.MonkeyPatch, batch: int
    ) -> None:
        monkeypatch.setattr(seen_store, "MERGE_FANIN", 2)
        rng = random.Random(batch)
        pool = [rng.randbytes(16) for _ in range(400)]
        stream = [rng.choice(pool) for _ in range(2_000)]  # repeats within and across batches
        reference: set[bytes] = set()
        expected = []
        for fingerprint in stream:
            expected.append(fingerprint not in reference)
            reference.add(fingerprint)
        with SeenStore(memory_limit=50) as seen:
            answers = [
                verdict
                for start in range(0, len(stream), batch)
                for verdict in seen.add_many(stream[start : start + batch])
            ]
        assert answers == expected

    def test_fingerprints_must_have_one_length(self) -> None:
        with SeenStore(memory_limit=3) as seen:
            seen.add(b"0123")
            seen.add(b"4567")
            with pytest.raises(ValueError, match="must all have one length, got 2, 4"):
                seen.add(b"01")

    def test_memory_limit_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="memory_limit must be at least 1"):
            SeenStore(memory_limit=0)

    def test_deletes_its_files_on_exit(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        with SeenStore(memory_limit=2) as seen:
            for fingerprint in (b"a", b"b", b"c", b"d"):
                seen.add(fingerprint)
            (directory,) = tmp_path.iterdir()
            assert directory.name.startswith("tunedmodels-seen-")
            assert len(list(directory.iterdir())) == 2
        assert list(tmp_path.iterdir()) == []

    def test_must_be_entered_before_use(self) -> None:
        with pytest.raises(RuntimeError, match="context manager"):
            SeenStore().add(b"a")


@pytest.mark.parametrize(
    ("text_input", "output"),
    [("a b", "c"), ("", "x"), ("ticket 0: refund", "billing"), ("Grüße  aus\tKöln ", " x")],
)
def test_normalized_texts_give_the_general_fingerprint(text_input: str, output: str) -> None:
    normal_input = normalize_whitespace(text_input).encode()
    normal_output = normalize_whitespace(output).encode()
    assert normalized_fingerprint(normal_input, normal_output) == text_fingerprint(
        text_input, output
    )
