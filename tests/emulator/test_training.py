"""Unit tests of the simulated tuning and of answering from training data."""

from __future__ import annotations

import itertools
import statistics

import pytest

from airflow_provider_tunedmodels.emulator.answers import AnswerBook, similarity
from airflow_provider_tunedmodels.emulator.gemini.training import (
    MAX_LOSS,
    Hyperparameters,
    LossCurve,
    Timeline,
    epoch_of_step,
    resolve_hyperparameters,
    total_steps,
)

PAIRS = [(str(i), str(i + 1)) for i in range(15)]


def loss_curve(examples: list[tuple[str, str]], hyper: Hyperparameters, seed: int) -> list[float]:
    """Every step's loss of a job, first to last."""
    curve = LossCurve.of(examples, hyper, seed)
    return [curve.loss_at(step) for step in range(1, total_steps(len(examples), hyper) + 1)]


@pytest.mark.parametrize(
    ("examples", "epochs", "batch", "steps"),
    [
        (15, 5, 2, 38),
        (15, 5, 4, 19),
        (15, 100, 4, 375),
        (15, 3, 2, 23),
        (15, 3, 4, 12),
        (15, 50, 4, 188),
        (25, 10, 16, 16),
    ],
)
def test_total_steps_match_every_recorded_job(
    examples: int, epochs: int, batch: int, steps: int
) -> None:
    assert total_steps(examples, Hyperparameters(epochs, batch, 0.001)) == steps


def test_epoch_of_step_matches_recorded_snapshots() -> None:
    assert epoch_of_step(40, 4, 15) == 10
    assert epoch_of_step(188, 4, 15) == 50
    assert epoch_of_step(1, 16, 25) == 0
    assert epoch_of_step(2, 16, 25) == 1


def test_documented_defaults() -> None:
    small = resolve_hyperparameters({}, 20)
    assert (small.epoch_count, small.batch_size, small.learning_rate) == (5, 4, 0.001)
    assert small.to_json() == {"learningRate": 0.001, "epochCount": 5, "batchSize": 4}
    large = resolve_hyperparameters({}, 5000)
    assert (large.batch_size, large.learning_rate) == (16, 0.0002)
    scaled = resolve_hyperparameters({"learningRateMultiplier": 2.0, "epochCount": 2}, 20)
    assert scaled.learning_rate == pytest.approx(0.002)
    assert scaled.to_json() == {"learningRateMultiplier": 2.0, "epochCount": 2, "batchSize": 4}


def _epoch_means(curve: list[float], batch: int, count: int) -> list[float]:
    by_epoch: dict[int, list[float]] = {}
    for step, loss in enumerate(curve, start=1):
        by_epoch.setdefault((step - 1) * batch // count, []).append(loss)
    return [statistics.fmean(losses) for _, losses in sorted(by_epoch.items())]


def test_loss_falls_over_epochs() -> None:
    hyper = Hyperparameters(5, 4, 0.001)
    means = _epoch_means(loss_curve(PAIRS * 4, hyper, seed=0), 4, 60)
    assert len(means) == 5
    assert all(earlier > later for earlier, later in itertools.pairwise(means))
    assert means[-1] < means[0] / 2


def test_loss_curve_is_deterministic_and_depends_on_seed_rate_and_data() -> None:
    hyper = Hyperparameters(5, 4, 0.001)
    base = loss_curve(PAIRS, hyper, seed=1)
    assert base == loss_curve(PAIRS, hyper, seed=1)
    assert base != loss_curve(PAIRS, hyper, seed=2)
    faster = loss_curve(PAIRS, Hyperparameters(5, 4, 0.004), seed=1)
    assert faster != base
    assert sum(faster) < sum(base)
    assert faster[0] < base[0]
    wordy = [(text_input, output * 200) for text_input, output in PAIRS]
    assert loss_curve(wordy, hyper, seed=1)[0] > base[0]


def test_any_step_of_a_huge_job_costs_constant_time() -> None:
    hyper = Hyperparameters(2**31 - 1, 1, 0.001)
    curve = LossCurve.of(PAIRS[:1], hyper, seed=3)
    assert total_steps(1, hyper) == 2**31 - 1
    late = [curve.loss_at(step) for step in range(2**31 - 1000, 2**31)]
    assert all(0 < loss < curve.initial for loss in late)
    assert late == [curve.loss_at(step) for step in range(2**31 - 1000, 2**31)]
    assert LossCurve.from_json(curve.to_json()) == curve


def test_a_diverging_learning_rate_keeps_losses_finite() -> None:
    curve = LossCurve.of(PAIRS, Hyperparameters(5, 1, 3.4e38), seed=0)
    losses = [curve.loss_at(step) for step in range(1, 500)]
    assert max(losses) == MAX_LOSS
    assert all(0 < loss <= MAX_LOSS for loss in losses)


def test_timeline_progress() -> None:
    timeline = Timeline(start_time=100.0, step_seconds=1.0, total_steps=4)
    before = timeline.progress(99.5)
    assert (before.state, before.started, before.completed_steps) == ("CREATING", False, 0)
    running = timeline.progress(102.5)
    assert (running.state, running.started, running.completed_steps) == ("CREATING", True, 2)
    done = timeline.progress(200.0)
    assert (done.state, done.completed_steps, done.finished_at, done.outcome) == (
        "ACTIVE",
        4,
        104.0,
        "succeeded",
    )


def test_timeline_failure_and_cancellation() -> None:
    failing = Timeline(start_time=0.0, step_seconds=1.0, total_steps=10, fail_at_step=3)
    assert failing.progress(2.5).state == "CREATING"
    failed = failing.progress(50.0)
    assert (failed.state, failed.completed_steps, failed.finished_at, failed.outcome) == (
        "FAILED",
        2,
        3.0,
        "failed",
    )
    cancelled = Timeline(start_time=0.0, step_seconds=1.0, total_steps=10, cancel_time=4.5)
    progress = cancelled.progress(50.0)
    assert (progress.state, progress.completed_steps, progress.outcome) == (
        "FAILED",
        4,
        "cancelled",
    )


def test_answers_exact_then_closest() -> None:
    book = AnswerBook(
        [("What is 2+2?", "4"), ("Capital of France?", "Paris"), ("What is 2+2?", "5")]
    )
    assert book.answer("What is 2+2?") == "4"
    assert book.answer("capital of france") == "Paris"
    assert book.answer("what is 2 + 2") == "4"
    assert similarity("abc", "abc") == 1.0
    assert similarity("abc", "xyz") == 0.0
    with pytest.raises(ValueError):
        AnswerBook([])


def test_failure_at_the_last_step_still_fails() -> None:
    timeline = Timeline(start_time=0.0, step_seconds=1.0, total_steps=3, fail_at_step=3)
    progress = timeline.progress(10.0)
    assert (progress.state, progress.completed_steps, progress.outcome) == ("FAILED", 2, "failed")
