"""The evaluation runner: one example at a time, running totals, summary and quality gate."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from airflow_provider_tunedmodels.core.errors import (
    NotFoundError,
    TransportError,
)
from airflow_provider_tunedmodels.data import Example
from airflow_provider_tunedmodels.evaluation.runner import (
    BASELINE,
    TUNED,
    EvaluationSummary,
    EvaluationTally,
    ExampleResult,
    Generate,
    ModelAnswer,
    evaluate_example,
    quality_gate_problems,
)

METRICS = ["exact_match", "token_f1", "char_similarity"]
MODELS = {TUNED: "tunedModels/t", BASELINE: "models/b"}


def scripted(answers: Mapping[str, str | Exception]) -> tuple[Generate, list[tuple[str, str]]]:
    """A ``generate`` that answers by model name, recording the calls."""
    calls: list[tuple[str, str]] = []

    async def generate(model: str, prompt: str) -> str:
        calls.append((model, prompt))
        answer = answers[model]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return generate, calls


async def test_every_model_answers_and_is_scored() -> None:
    generate, calls = scripted({"tunedModels/t": "billing", "models/b": "Billing team"})

    result = await evaluate_example(
        3,
        {"input": "invoice wrong", "output": "billing"},
        models=MODELS,
        generate=generate,
        metrics=METRICS,
    )

    assert calls == [("tunedModels/t", "invoice wrong"), ("models/b", "invoice wrong")]
    assert not result.failed
    assert result.answers[TUNED] == ModelAnswer(
        "billing", {"exact_match": 1.0, "token_f1": 1.0, "char_similarity": 1.0}
    )
    baseline = result.answers[BASELINE].scores or {}
    assert baseline["exact_match"] == 0.0
    assert baseline["token_f1"] == pytest.approx(2 / 3)
    assert result.to_record() == {
        "position": 3,
        "text_input": "invoice wrong",
        "output": "billing",
        "tuned": {"prediction": "billing", "scores": result.answers[TUNED].scores},
        "baseline": {"prediction": "Billing team", "scores": baseline},
    }


async def test_an_unreadable_record_is_a_failed_result() -> None:
    generate, calls = scripted({})

    result = await evaluate_example(
        7, {"input": "no output"}, models=MODELS, generate=generate, metrics=METRICS
    )

    assert calls == []
    assert result.failed
    assert result.to_record() == {"position": 7, "error": "invalid record: output is missing"}


async def test_a_failed_call_is_kept_in_the_result() -> None:
    failure = TransportError("ReadTimeout", method="POST", url="https://x/y", attempts=5)
    generate, _ = scripted({"tunedModels/t": "billing", "models/b": failure})

    result = await evaluate_example(
        1, ("q", "billing"), models=MODELS, generate=generate, metrics=["exact_match"]
    )

    assert result.failed
    assert result.answers[TUNED].scores == {"exact_match": 1.0}
    assert result.answers[BASELINE].error == f"TransportError: {failure}"
    assert result.first_error == f"TransportError: {failure}"
    assert result.to_record()["baseline"] == {"error": f"TransportError: {failure}"}


async def test_an_error_that_would_hit_every_example_propagates() -> None:
    missing = NotFoundError(http_status=404, status="NOT_FOUND", message="no such model")
    generate, _ = scripted({"tunedModels/t": missing})

    with pytest.raises(NotFoundError):
        await evaluate_example(1, ("q", "a"), models=MODELS, generate=generate, metrics=METRICS)


def result(tuned: float | None, baseline: float | None) -> ExampleResult:
    """A result whose metric ``exact_match`` is given per model; ``None`` means it failed."""

    def answer(score: float | None) -> ModelAnswer:
        if score is None:
            return ModelAnswer(error="InvalidArgumentError: bad")
        return ModelAnswer("p", {"exact_match": score})

    return ExampleResult(1, Example("q", "a"), {TUNED: answer(tuned), BASELINE: answer(baseline)})


def tally_of(*results: ExampleResult) -> EvaluationTally:
    tally = EvaluationTally(MODELS, ["exact_match"])
    for item in results:
        tally.add(item)
    return tally


def test_means_cover_only_examples_every_model_answered() -> None:
    tally = tally_of(result(1.0, 0.0), result(None, 1.0), result(1.0, None), result(0.0, 1.0))

    summary = tally.summary()

    assert (summary.examples, summary.scored, summary.failed) == (4, 2, 2)
    assert summary.failure_rate == 0.5
    assert summary.failed_calls == {TUNED: 1, BASELINE: 1}
    assert summary.means == {TUNED: {"exact_match": 0.5}, BASELINE: {"exact_match": 0.5}}
    assert summary.delta() == {"exact_match": 0.0}


def test_consecutive_failures_reset_on_success() -> None:
    tally = tally_of(result(None, 1.0), result(1.0, None))
    assert tally.consecutive_failures == 2
    tally.add(result(1.0, 1.0))
    assert tally.consecutive_failures == 0


def test_summary_dict_is_json_safe_and_complete() -> None:
    summary = tally_of(result(1.0, 0.0), result(1.0, 1.0)).summary()

    assert summary.to_dict() == {
        "examples": 2,
        "scored": 2,
        "failed": 0,
        "failure_rate": 0.0,
        "metrics": ["exact_match"],
        "models": {
            TUNED: {"model": "tunedModels/t", "failed": 0, "scores": {"exact_match": 1.0}},
            BASELINE: {"model": "models/b", "failed": 0, "scores": {"exact_match": 0.5}},
        },
        "delta": {"exact_match": 0.5},
    }
    assert summary.describe().splitlines() == [
        "tuned tunedModels/t: exact_match 1.0000",
        "baseline models/b: exact_match 0.5000",
        "2 of 2 examples scored, 0 failed (0.0%)",
    ]


def test_without_a_baseline_there_is_no_delta() -> None:
    tally = EvaluationTally({TUNED: "tunedModels/t"}, ["exact_match"])
    tally.add(ExampleResult(1, Example("q", "a"), {TUNED: ModelAnswer("a", {"exact_match": 1.0})}))

    assert tally.summary().delta() is None


def test_nothing_scored_gives_unknown_means() -> None:
    summary = tally_of(result(None, None)).summary()

    assert summary.means[TUNED] == {"exact_match": None}
    assert summary.delta() == {"exact_match": None}
    assert "exact_match n/a" in summary.describe()


def summary_with(tuned: float | None, baseline: float | None) -> EvaluationSummary:
    return EvaluationSummary(
        models=dict(MODELS),
        metrics=["token_f1"],
        examples=10,
        scored=10 if tuned is not None else 0,
        failed=0,
        means={TUNED: {"token_f1": tuned}, BASELINE: {"token_f1": baseline}},
        failed_calls={TUNED: 0, BASELINE: 0},
    )


@pytest.mark.parametrize(
    ("tuned", "baseline", "min_score", "improve", "expected"),
    [
        (0.8, 0.5, 0.7, True, []),
        (0.8, 0.5, None, False, []),
        (0.7, 0.5, 0.7, False, []),
        (0.6, 0.5, 0.7, False, ["token_f1 0.6000 is below min_score 0.7000"]),
        (
            0.5,
            0.5,
            None,
            True,
            ["token_f1 0.5000 does not beat the baseline's 0.5000 (models/b)"],
        ),
        (None, None, 0.1, False, ["no example was scored, so token_f1 is unknown"]),
    ],
)
def test_quality_gate(
    tuned: float | None,
    baseline: float | None,
    min_score: float | None,
    improve: bool,
    expected: list[str],
) -> None:
    problems = quality_gate_problems(
        summary_with(tuned, baseline),
        metric="token_f1",
        min_score=min_score,
        require_improvement=improve,
    )
    assert problems == expected
