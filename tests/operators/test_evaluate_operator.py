"""EvaluateTunedModelOperator on the bundled emulator: scores, sources, results file, failures.

Models tuned on the emulator answer; its fault injection scripts errors and
latency, and :class:`~tests.traffic.Traffic` counts the requests. Arguments and
request shapes are in ``test_evaluate_requests.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.core.errors import NotFoundError
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators import evaluate as evaluate_module
from airflow_provider_tunedmodels.operators.evaluate import (
    EvaluateTunedModelOperator,
    EvaluationAbortedError,
    QualityGateFailedError,
    TooManyFailedExamplesError,
)
from tests.operators.evaluate_support import EXAMPLES, TUNED, evaluate, read_jsonl
from tests.support.emulator import emulator_hook, fast_retry, train
from tests.traffic import Traffic

BASELINE = "tunedModels/baseline"
#: Tuned on the baseline's answers: no better than the baseline.
COPYCAT = "tunedModels/copycat"
#: The baseline gets one of four exactly right, and the others roughly.
BASELINE_ANSWERS = {
    "invoice wrong": "Billing",
    "app crashes": "support",
    "reset password": "password reset",
    "refund please": "refunds",
}
#: Attempts per request of the operator's hook.
ATTEMPTS = 3
#: Seconds the emulator holds every generation request, so that concurrent ones overlap.
LATENCY = 0.02
#: Fails every attempt of the next tuned-model request: with ``max_concurrency=1`` that
#: is the first example's, as the tuned model is asked before the baseline.
FIRST_TUNED_REQUEST_FAILS = FaultRule("500", route="tunedModels.generateContent", count=ATTEMPTS)


@pytest.fixture(scope="module")
def models(emulator: RunningEmulator) -> None:
    """Train the models once: ``router`` on :data:`EXAMPLES`, the other two on the baseline's answers."""
    hook = emulator_hook(emulator)
    try:
        train(hook, "router", [(e["text_input"], e["output"]) for e in EXAMPLES])
        train(hook, "baseline", list(BASELINE_ANSWERS.items()))
        train(hook, "copycat", list(BASELINE_ANSWERS.items()))
    finally:
        hook.close()


@pytest.fixture
def hook(
    emulator: RunningEmulator, models: None, traffic: Traffic
) -> Iterator[GeminiTunedModelsHook]:
    """A hook for the emulator, seen through ``traffic``."""
    hook = emulator_hook(emulator, fast_retry(ATTEMPTS), traffic=traffic)
    yield hook
    hook.close()


def generate_requests(traffic: Traffic) -> int:
    """How many generation requests were sent (each retry counts)."""
    return len(traffic.bodies(":generateContent"))


# --- scores and results file ---------------------------------------------------------------------


def test_tuned_model_alone(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    results = tmp_path / "out" / "results.jsonl"

    summary = evaluate(hook, str(results))

    assert summary == {
        "examples": 4,
        "scored": 4,
        "failed": 0,
        "failure_rate": 0.0,
        "metrics": ["exact_match", "token_f1", "char_similarity"],
        "models": {
            "tuned": {
                "model": TUNED,
                "failed": 0,
                "scores": {"exact_match": 1.0, "token_f1": 1.0, "char_similarity": 1.0},
            }
        },
        "delta": None,
        "results_path": str(results),
        "quality_gate": None,
    }
    lines = read_jsonl(results)
    assert [line["position"] for line in lines] == [1, 2, 3, 4]
    assert lines[1] == {
        "position": 2,
        "text_input": "app crashes",
        "output": "technical support",
        "tuned": {
            "prediction": "technical support",
            "scores": {"exact_match": 1.0, "token_f1": 1.0, "char_similarity": 1.0},
        },
    }
    assert json.loads(json.dumps(summary)) == summary


def test_against_a_baseline(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    summary = evaluate(hook, tmp_path / "r.jsonl", baseline_model=BASELINE, metrics=["exact_match"])

    assert summary["models"]["baseline"] == {
        "model": BASELINE,
        "failed": 0,
        "scores": {"exact_match": 0.25},
    }
    assert summary["delta"] == {"exact_match": 0.75}
    first = read_jsonl(tmp_path / "r.jsonl")[0]
    assert first["baseline"] == {"prediction": "Billing", "scores": {"exact_match": 1.0}}


def test_jsonl_file_and_object_storage_uris(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    source = tmp_path / "eval.jsonl"
    source.write_text("\n".join(json.dumps(e) for e in EXAMPLES) + "\n")

    summary = evaluate(hook, f"file://{tmp_path}/uri/results.jsonl", eval_set=f"file://{source}")

    assert summary["scored"] == 4
    assert summary["results_path"] == f"file://{tmp_path}/uri/results.jsonl"
    assert len(read_jsonl(tmp_path / "uri" / "results.jsonl")) == 4


def test_csv_file_positions_are_line_numbers(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    source = tmp_path / "eval.csv"
    source.write_text("prompt,target\ninvoice wrong,billing\napp crashes,technical support\n")

    summary = evaluate(hook, tmp_path / "r.jsonl", eval_set=str(source))

    assert summary["models"]["tuned"]["scores"]["exact_match"] == 1.0
    assert [line["position"] for line in read_jsonl(tmp_path / "r.jsonl")] == [2, 3]


def test_concurrency_is_bounded(
    hook: GeminiTunedModelsHook, traffic: Traffic, faults: RunningEmulator, tmp_path: Path
) -> None:
    faults.set_faults(FaultRule("latency", route="tunedModels.generateContent", seconds=LATENCY))
    examples = [{"input": f"q{i}", "output": f"Q{i}"} for i in range(12)]

    summary = evaluate(
        hook, tmp_path / "r.jsonl", eval_set=examples, baseline_model=BASELINE, max_concurrency=3
    )

    assert summary["scored"] == 12
    assert traffic.max_in_flight == 3
    assert generate_requests(traffic) == 24


# --- failure policy (scripted by emulator faults) ------------------------------------------------


def test_failed_examples_are_reported_and_left_out_of_the_means(
    hook: GeminiTunedModelsHook, faults: RunningEmulator, tmp_path: Path
) -> None:
    faults.set_faults(FIRST_TUNED_REQUEST_FAILS)
    # "app crashes" comes first: its tuned-model request is the one that fails.
    records = [EXAMPLES[1], EXAMPLES[0], *EXAMPLES[2:], {"text_input": "no output here"}]

    summary = evaluate(
        hook,
        tmp_path / "r.jsonl",
        eval_set=records,
        baseline_model=BASELINE,
        max_failure_rate=0.5,
        max_concurrency=1,
    )

    assert (summary["examples"], summary["scored"], summary["failed"]) == (5, 3, 2)
    assert summary["failure_rate"] == 0.4
    assert summary["models"]["tuned"]["failed"] == 1
    assert summary["models"]["baseline"]["failed"] == 0
    assert summary["models"]["tuned"]["scores"]["exact_match"] == 1.0
    # The baseline answered app crashes too, but models are compared on the same examples.
    assert summary["models"]["baseline"]["scores"]["exact_match"] == pytest.approx(1 / 3)
    lines = read_jsonl(tmp_path / "r.jsonl")
    assert lines[0]["tuned"]["error"].startswith("ServerError: INTERNAL (500)")
    assert lines[0]["baseline"]["prediction"] == "support"
    assert lines[4] == {"position": 5, "error": "invalid record: output is missing"}


def test_too_many_failures_fail_the_task_after_writing_the_results(
    hook: GeminiTunedModelsHook, faults: RunningEmulator, tmp_path: Path
) -> None:
    faults.set_faults(FIRST_TUNED_REQUEST_FAILS)

    with pytest.raises(TooManyFailedExamplesError, match=r"1 of 4 examples failed \(25.0%\)"):
        evaluate(hook, tmp_path / "r.jsonl", max_failure_rate=0.2, max_concurrency=1)

    assert len(read_jsonl(tmp_path / "r.jsonl")) == 4
    assert not issubclass(TooManyFailedExamplesError, AirflowFailException)


def test_an_error_that_would_hit_every_example_stops_at_once(
    hook: GeminiTunedModelsHook, traffic: Traffic, tmp_path: Path
) -> None:
    examples = [{"input": f"q{i}", "output": "a"} for i in range(200)]

    with pytest.raises(NotFoundError, match="tunedModels/missing does not exist"):
        evaluate(
            hook,
            tmp_path / "r.jsonl",
            tuned_model_name="tunedModels/missing",
            eval_set=examples,
            max_concurrency=2,
        )

    assert generate_requests(traffic) <= 2 * 2
    assert list(tmp_path.iterdir()) == []


def test_a_run_of_failures_aborts_the_evaluation(
    hook: GeminiTunedModelsHook,
    traffic: Traffic,
    faults: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(evaluate_module, "ABORT_AFTER_CONSECUTIVE_FAILURES", 5)
    faults.set_faults(FaultRule("500", route="tunedModels.generateContent"))
    examples = [{"input": f"q{i}", "output": "a"} for i in range(200)]

    with pytest.raises(EvaluationAbortedError, match="the last 5 examples all failed"):
        evaluate(
            hook, tmp_path / "r.jsonl", eval_set=examples, max_concurrency=2, max_failure_rate=1
        )

    # Each example is tried ATTEMPTS times; at most a window more were started.
    assert generate_requests(traffic) <= (5 + 2 * 2) * ATTEMPTS
    assert list(tmp_path.iterdir()) == []


# --- quality gate --------------------------------------------------------------------------------


def test_quality_gate_passes(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    summary = evaluate(
        hook,
        tmp_path / "r.jsonl",
        baseline_model=BASELINE,
        min_score=0.9,
        metric="exact_match",
        require_improvement=True,
    )

    assert summary["quality_gate"] == {
        "metric": "exact_match",
        "min_score": 0.9,
        "require_improvement": True,
        "passed": True,
    }


def test_quality_gate_fails_with_the_scores(hook: GeminiTunedModelsHook, tmp_path: Path) -> None:
    with pytest.raises(QualityGateFailedError) as caught:
        evaluate(
            hook,
            tmp_path / "r.jsonl",
            tuned_model_name=COPYCAT,
            baseline_model=BASELINE,
            min_score=0.5,
            metric="exact_match",
            require_improvement=True,
        )

    message = str(caught.value)
    assert message.startswith(f"{COPYCAT} fails the quality gate: exact_match 0.2500 is below")
    assert "does not beat the baseline's 0.2500" in message
    assert f"baseline {BASELINE}: exact_match 0.2500, token_f1" in message
    assert "4 of 4 examples scored" in message
    assert isinstance(caught.value, AirflowFailException)
    assert len(read_jsonl(tmp_path / "r.jsonl")) == 4


# --- whole evaluations on the emulator -----------------------------------------------------------


TRAINING = [
    ("my invoice is wrong", "billing"),
    ("the app crashes on start", "technical"),
    ("I forgot my password", "account"),
]
EVAL_SET = [
    {"text_input": "my invoice is wrong", "output": "billing"},
    {"text_input": "the app crashes on start", "output": "technical"},
    {"text_input": "I forgot my password!", "output": "account"},
]


def test_evaluates_against_a_baseline_on_the_emulator(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    hook = emulator_hook(emulator)
    tuned = train(hook, "eval-tuned", TRAINING)
    baseline = train(hook, "eval-baseline", [(text, "general") for text, _ in TRAINING])
    emulator.set_faults(rate_503=0.3, seed=7)
    source = tmp_path / "eval.jsonl"
    source.write_text("\n".join(json.dumps(e) for e in EVAL_SET) + "\n")
    operator = EvaluateTunedModelOperator(
        task_id="evaluate",
        tuned_model_name=tuned,
        eval_set=str(source),
        results_path=str(tmp_path / "results.jsonl"),
        baseline_model=baseline,
        min_score=0.9,
        require_improvement=True,
        max_concurrency=2,
    )
    operator.hook = hook

    try:
        summary = operator.execute(context={})  # type: ignore[arg-type]
    finally:
        emulator.reset_faults()

    assert summary["failed"] == 0
    assert summary["models"]["tuned"]["scores"]["exact_match"] == 1.0
    assert summary["models"]["baseline"]["scores"]["exact_match"] == 0.0
    assert summary["delta"]["token_f1"] == 1.0
    assert summary["quality_gate"]["passed"] is True
    predictions = [line["tuned"]["prediction"] for line in read_jsonl(tmp_path / "results.jsonl")]
    assert predictions == ["billing", "technical", "account"]


def test_a_model_that_is_not_good_enough_fails_on_the_emulator(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    hook = emulator_hook(emulator)
    weak = train(hook, "eval-weak", [(text, "billing") for text, _ in TRAINING])
    operator = EvaluateTunedModelOperator(
        task_id="evaluate",
        tuned_model_name=weak,
        eval_set=EVAL_SET,
        results_path=str(tmp_path / "results.jsonl"),
        min_score=0.5,
        metric="exact_match",
    )
    operator.hook = hook

    with pytest.raises(QualityGateFailedError, match=r"exact_match 0\.3333 is below min_score"):
        operator.execute(context={})  # type: ignore[arg-type]
