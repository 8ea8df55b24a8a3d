"""EvaluateTunedModelOperator: sources, results file, failure policy, quality gate, emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_tunedmodels._compat import AirflowException, AirflowFailException
from airflow_provider_tunedmodels.core.errors import NotFoundError
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.operators import evaluate as evaluate_module
from airflow_provider_tunedmodels.operators.evaluate import (
    EvaluateTunedModelOperator,
    EvaluationAbortedError,
    QualityGateFailedError,
    TooManyFailedExamplesError,
)
from tests.operators.gemini_fake import (
    HEAVY_PROVIDER_MODULES,
    FakeGeminiApi,
    error,
    provider_modules_loaded_by,
)
from tests.support.emulator import emulator_hook, train

TUNED = "tunedModels/router"
BASELINE = "models/gemini-1.5-flash-001"
EXAMPLES = [
    {"text_input": "invoice wrong", "output": "billing"},
    {"text_input": "app crashes", "output": "technical support"},
    {"text_input": "reset password", "output": "account"},
    {"text_input": "refund please", "output": "billing"},
]


@pytest.fixture
def api() -> FakeGeminiApi:
    fake = FakeGeminiApi()
    # The tuned model knows every answer; the baseline gets half of them roughly right.
    fake.replies[TUNED] = {e["text_input"]: e["output"] for e in EXAMPLES}
    fake.replies[BASELINE] = {
        "invoice wrong": "Billing",
        "app crashes": "support",
        "reset password": "password reset",
        "refund please": "refunds",
    }
    return fake


def evaluate(api: FakeGeminiApi, results_path: Any, **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "task_id": "evaluate",
        "tuned_model_name": TUNED,
        "eval_set": EXAMPLES,
        "results_path": results_path,
        **kwargs,
    }
    operator = EvaluateTunedModelOperator(**arguments)
    operator.hook = api.hook()
    return operator.execute(context={})  # type: ignore[arg-type]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tuned_model_alone(api: FakeGeminiApi, tmp_path: Path) -> None:
    results = tmp_path / "out" / "results.jsonl"

    summary = evaluate(api, str(results))

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


def test_against_a_baseline(api: FakeGeminiApi, tmp_path: Path) -> None:
    summary = evaluate(api, tmp_path / "r.jsonl", baseline_model=BASELINE, metrics=["exact_match"])

    assert summary["models"]["baseline"] == {
        "model": BASELINE,
        "failed": 0,
        "scores": {"exact_match": 0.25},
    }
    assert summary["delta"] == {"exact_match": 0.75}
    first = read_jsonl(tmp_path / "r.jsonl")[0]
    assert first["baseline"] == {"prediction": "Billing", "scores": {"exact_match": 1.0}}


def test_a_bare_id_is_a_tuned_model(api: FakeGeminiApi, tmp_path: Path) -> None:
    summary = evaluate(api, tmp_path / "r.jsonl", tuned_model_name="router")

    assert summary["models"]["tuned"]["model"] == TUNED
    assert {path for _, path in api.requests} == {f"/v1beta/{TUNED}:generateContent"}


def test_generation_config_is_sent_with_every_request(api: FakeGeminiApi, tmp_path: Path) -> None:
    evaluate(api, tmp_path / "r.jsonl", generation_config={"temperature": 0})

    assert [body["generationConfig"] for body in api.generate_bodies] == [{"temperature": 0.0}] * 4


def test_jsonl_file_and_object_storage_uris(api: FakeGeminiApi, tmp_path: Path) -> None:
    source = tmp_path / "eval.jsonl"
    source.write_text("\n".join(json.dumps(e) for e in EXAMPLES) + "\n")

    summary = evaluate(api, f"file://{tmp_path}/uri/results.jsonl", eval_set=f"file://{source}")

    assert summary["scored"] == 4
    assert summary["results_path"] == f"file://{tmp_path}/uri/results.jsonl"
    assert len(read_jsonl(tmp_path / "uri" / "results.jsonl")) == 4


def test_csv_file_positions_are_line_numbers(api: FakeGeminiApi, tmp_path: Path) -> None:
    source = tmp_path / "eval.csv"
    source.write_text("prompt,target\ninvoice wrong,billing\napp crashes,technical support\n")

    summary = evaluate(api, tmp_path / "r.jsonl", eval_set=str(source))

    assert summary["models"]["tuned"]["scores"]["exact_match"] == 1.0
    assert [line["position"] for line in read_jsonl(tmp_path / "r.jsonl")] == [2, 3]


def test_concurrency_is_bounded(api: FakeGeminiApi, tmp_path: Path) -> None:
    examples = [{"input": f"q{i}", "output": f"Q{i}"} for i in range(30)]

    summary = evaluate(
        api, tmp_path / "r.jsonl", eval_set=examples, baseline_model=BASELINE, max_concurrency=3
    )

    assert summary["scored"] == 30
    assert api.max_in_flight == 3
    assert len(api.generate_bodies) == 60


def test_failed_examples_are_reported_and_left_out_of_the_means(
    api: FakeGeminiApi, tmp_path: Path
) -> None:
    api.replies[TUNED]["app crashes"] = error(400, "INVALID_ARGUMENT", "prompt rejected")
    records = [*EXAMPLES, {"text_input": "no output here"}]

    summary = evaluate(
        api, tmp_path / "r.jsonl", eval_set=records, baseline_model=BASELINE, max_failure_rate=0.5
    )

    assert (summary["examples"], summary["scored"], summary["failed"]) == (5, 3, 2)
    assert summary["failure_rate"] == 0.4
    assert summary["models"]["tuned"]["failed"] == 1
    assert summary["models"]["baseline"]["failed"] == 0
    assert summary["models"]["tuned"]["scores"]["exact_match"] == 1.0
    assert summary["models"]["baseline"]["scores"]["exact_match"] == pytest.approx(1 / 3)
    lines = read_jsonl(tmp_path / "r.jsonl")
    assert lines[1]["tuned"]["error"].startswith("InvalidArgumentError: INVALID_ARGUMENT (400)")
    assert lines[1]["baseline"]["prediction"] == "support"
    assert lines[4] == {"position": 5, "error": "invalid record: output is missing"}


def test_too_many_failures_fail_the_task_after_writing_the_results(
    api: FakeGeminiApi, tmp_path: Path
) -> None:
    api.replies[TUNED]["app crashes"] = error(400, "INVALID_ARGUMENT", "prompt rejected")

    with pytest.raises(TooManyFailedExamplesError, match=r"1 of 4 examples failed \(25.0%\)"):
        evaluate(api, tmp_path / "r.jsonl", max_failure_rate=0.2)

    assert len(read_jsonl(tmp_path / "r.jsonl")) == 4
    assert not issubclass(TooManyFailedExamplesError, AirflowFailException)


def test_an_error_that_would_hit_every_example_stops_at_once(
    api: FakeGeminiApi, tmp_path: Path
) -> None:
    api.model_errors[TUNED] = error(404, "NOT_FOUND", "no such tuned model")
    examples = [{"input": f"q{i}", "output": "a"} for i in range(200)]

    with pytest.raises(NotFoundError, match="no such tuned model"):
        evaluate(api, tmp_path / "r.jsonl", eval_set=examples, max_concurrency=2)

    assert len(api.generate_bodies) <= 2 * 2
    assert list(tmp_path.iterdir()) == []


def test_a_run_of_failures_aborts_the_evaluation(
    api: FakeGeminiApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluate_module, "ABORT_AFTER_CONSECUTIVE_FAILURES", 5)
    api.model_errors[TUNED] = error(500, "INTERNAL", "server down")
    examples = [{"input": f"q{i}", "output": "a"} for i in range(200)]

    with pytest.raises(EvaluationAbortedError, match="the last 5 examples all failed"):
        evaluate(
            api, tmp_path / "r.jsonl", eval_set=examples, max_concurrency=2, max_failure_rate=1
        )

    # Each example is tried 3 times (the hook's retries); at most a window more were started.
    assert len(api.generate_bodies) <= (5 + 2 * 2) * 3
    assert list(tmp_path.iterdir()) == []


def test_quality_gate_passes(api: FakeGeminiApi, tmp_path: Path) -> None:
    summary = evaluate(
        api,
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


def test_quality_gate_fails_with_the_scores(api: FakeGeminiApi, tmp_path: Path) -> None:
    api.replies[TUNED] = dict(api.replies[BASELINE])  # no better than the baseline

    with pytest.raises(QualityGateFailedError) as caught:
        evaluate(
            api,
            tmp_path / "r.jsonl",
            baseline_model=BASELINE,
            min_score=0.5,
            metric="exact_match",
            require_improvement=True,
        )

    message = str(caught.value)
    assert message.startswith(f"{TUNED} fails the quality gate: exact_match 0.2500 is below")
    assert "does not beat the baseline's 0.2500" in message
    assert f"baseline {BASELINE}: exact_match 0.2500, token_f1" in message
    assert "4 of 4 examples scored" in message
    assert isinstance(caught.value, AirflowFailException)
    assert len(read_jsonl(tmp_path / "r.jsonl")) == 4


def test_an_unreadable_source_fails_without_retries(api: FakeGeminiApi, tmp_path: Path) -> None:
    source = tmp_path / "eval.txt"
    source.write_text("whatever")

    with pytest.raises(AirflowFailException, match="file_format"):
        evaluate(api, tmp_path / "r.jsonl", eval_set=str(source))
    assert api.requests == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"metrics": ["bleu"]}, "unknown metric 'bleu'"),
        ({"metrics": []}, "at least one metric"),
        ({"metrics": ["exact_match"], "min_score": 0.5}, "'token_f1': must be one of metrics"),
        ({"max_concurrency": 0}, "max_concurrency 0"),
        ({"max_failure_rate": 1.5}, "max_failure_rate 1.5"),
        ({"min_score": 2}, "min_score 2"),
        ({"require_improvement": True}, "needs a baseline_model"),
    ],
)
def test_invalid_arguments_fail_when_the_dag_is_parsed(
    kwargs: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ValueError, match=expected):
        EvaluateTunedModelOperator(
            task_id="t", tuned_model_name=TUNED, eval_set=EXAMPLES, results_path="r.jsonl", **kwargs
        )


def test_template_fields() -> None:
    assert set(EvaluateTunedModelOperator.template_fields) == {
        "tuned_model_name",
        "eval_set",
        "results_path",
        "baseline_model",
        "generation_config",
    }


def test_exceptions_are_airflow_exceptions() -> None:
    assert issubclass(EvaluationAbortedError, AirflowException)
    assert issubclass(QualityGateFailedError, AirflowFailException)


def test_module_import_is_cheap() -> None:
    loaded = provider_modules_loaded_by("airflow_provider_tunedmodels.operators.evaluate")
    assert "airflow_provider_tunedmodels.operators.evaluate" in loaded
    assert not loaded & HEAVY_PROVIDER_MODULES


# --- against the emulator ------------------------------------------------------------------------


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
