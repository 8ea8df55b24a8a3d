"""Duplicate fingerprints, the deterministic split, and the on-disk set of seen fingerprints."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.data import (
    EvalSelector,
    Example,
    example_fingerprint,
    normalize_whitespace,
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
        with SeenStore(cache_kib=64) as seen:
            assert all(seen.add(fingerprint) for fingerprint in fingerprints)
            assert not any(seen.add(fingerprint) for fingerprint in fingerprints[::1000])

    def test_deletes_its_database_on_exit(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        with SeenStore() as seen:
            seen.add(b"a")
            (directory,) = tmp_path.iterdir()
            assert directory.name.startswith("tunedmodels-seen-")
        assert list(tmp_path.iterdir()) == []

    def test_must_be_entered_before_use(self) -> None:
        with pytest.raises(RuntimeError, match="context manager"):
            SeenStore().add(b"a")
