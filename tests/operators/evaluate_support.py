"""What the evaluate operator's tests share: the evaluation set, running the operator, results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator

__all__ = ["EXAMPLES", "TUNED", "evaluate", "read_jsonl"]

TUNED = "tunedModels/router"
EXAMPLES = [
    {"text_input": "invoice wrong", "output": "billing"},
    {"text_input": "app crashes", "output": "technical support"},
    {"text_input": "reset password", "output": "account"},
    {"text_input": "refund please", "output": "billing"},
]


def evaluate(hook: GeminiTunedModelsHook, results_path: Any, **kwargs: Any) -> dict[str, Any]:
    """Run the operator on ``hook``: the tuned model on :data:`EXAMPLES` unless overridden."""
    arguments: dict[str, Any] = {
        "task_id": "evaluate",
        "tuned_model_name": TUNED,
        "eval_set": EXAMPLES,
        "results_path": results_path,
        **kwargs,
    }
    operator = EvaluateTunedModelOperator(**arguments)
    operator.hook = hook
    return operator.execute(context={})  # type: ignore[arg-type]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The lines of a results file."""
    return [json.loads(line) for line in path.read_text().splitlines()]
