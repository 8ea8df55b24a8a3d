"""EvaluateTunedModelOperator: arguments checked when the DAG is parsed, and what it sends.

What it sends is checked against respx routes; what it does with the answers is
in ``test_evaluate_operator.py``, against the bundled emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import respx

from airflow_provider_tunedmodels._compat import AirflowException, AirflowFailException
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.evaluate import (
    EvaluateTunedModelOperator,
    EvaluationAbortedError,
    QualityGateFailedError,
)
from tests.operators.evaluate_support import EXAMPLES, TUNED, evaluate
from tests.operators.import_cost import HEAVY_PROVIDER_MODULES, provider_modules_loaded_by
from tests.operators.wire import answer, received, sent_json

# --- arguments -----------------------------------------------------------------------------------


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


# --- what is sent (respx) ------------------------------------------------------------------------


def test_a_bare_id_is_a_tuned_model(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook, tmp_path: Path
) -> None:
    path = f"/v1beta/{TUNED}:generateContent"
    api.post(path).mock(return_value=answer("billing"))

    summary = evaluate(mocked, tmp_path / "r.jsonl", tuned_model_name="router")

    assert summary["models"]["tuned"]["model"] == TUNED
    assert received(api) == [("POST", path)] * 4


def test_generation_config_is_sent_with_every_request(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook, tmp_path: Path
) -> None:
    route = api.post(f"/v1beta/{TUNED}:generateContent").mock(return_value=answer("billing"))

    evaluate(mocked, tmp_path / "r.jsonl", generation_config={"temperature": 0})

    assert [body["generationConfig"] for body in sent_json(route)] == [{"temperature": 0.0}] * 4


def test_an_unreadable_source_fails_without_requests(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook, tmp_path: Path
) -> None:
    source = tmp_path / "eval.txt"
    source.write_text("whatever")

    with pytest.raises(AirflowFailException, match="file_format"):
        evaluate(mocked, tmp_path / "r.jsonl", eval_set=str(source))
    assert api.calls.call_count == 0


def test_a_bad_generation_config_fails_before_any_request(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook, tmp_path: Path
) -> None:
    with pytest.raises(
        AirflowFailException, match=r"generation_config is invalid[\s\S]*temperature"
    ):
        evaluate(mocked, tmp_path / "r.jsonl", generation_config={"temperature": "warm"})
    assert not api.calls
