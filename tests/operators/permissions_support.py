"""Shared by the permissions operator's tests: the endpoints of model ``m1``, the runner."""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator

__all__ = ["CREATE", "LIST", "PERMISSIONS_PATH", "run"]

PERMISSIONS_PATH = "/v1beta/tunedModels/m1/permissions"
LIST = ("GET", PERMISSIONS_PATH)
CREATE = ("POST", PERMISSIONS_PATH)


def run(hook: GeminiTunedModelsHook, **kwargs: Any) -> dict[str, Any]:
    """Run the operator on ``hook``, for tuned model ``m1`` unless told otherwise."""
    arguments: dict[str, Any] = {"task_id": "share", "tuned_model_name": "m1", **kwargs}
    operator = TunedModelPermissionsOperator(**arguments)
    operator.hook = hook
    return operator.execute(context={})  # type: ignore[arg-type]
