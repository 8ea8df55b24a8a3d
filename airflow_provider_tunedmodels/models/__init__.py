"""Pydantic models of the Gemini API's tuning resources, in exact wire format.

The names below are imported on first use, so importing a submodule such as
:mod:`~airflow_provider_tunedmodels.models.limits` does not load pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.models.generation import (
        Candidate,
        Content,
        GenerateContentRequest,
        GenerateContentResponse,
        GenerationConfig,
        Part,
        PromptFeedback,
        UsageMetadata,
    )
    from airflow_provider_tunedmodels.models.model import ListModelsResponse, Model
    from airflow_provider_tunedmodels.models.operation import (
        CREATE_TUNED_MODEL_METADATA_TYPE,
        TUNED_MODEL_TYPE,
        CreateTunedModelMetadata,
        ListOperationsResponse,
        Operation,
        Status,
    )
    from airflow_provider_tunedmodels.models.permission import (
        GranteeType,
        ListPermissionsResponse,
        Permission,
        Role,
    )
    from airflow_provider_tunedmodels.models.tuned_model import (
        Dataset,
        Hyperparameters,
        ListTunedModelsResponse,
        State,
        TunedModel,
        TunedModelSource,
        TuningExample,
        TuningExamples,
        TuningSnapshot,
        TuningTask,
    )

__all__ = [
    "CREATE_TUNED_MODEL_METADATA_TYPE",
    "TUNED_MODEL_TYPE",
    "Candidate",
    "Content",
    "CreateTunedModelMetadata",
    "Dataset",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "GranteeType",
    "Hyperparameters",
    "ListModelsResponse",
    "ListOperationsResponse",
    "ListPermissionsResponse",
    "ListTunedModelsResponse",
    "Model",
    "Operation",
    "Part",
    "Permission",
    "PromptFeedback",
    "Role",
    "State",
    "Status",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
    "UsageMetadata",
]

_LAZY: dict[str, str] = {
    "Candidate": "generation",
    "Content": "generation",
    "GenerateContentRequest": "generation",
    "GenerateContentResponse": "generation",
    "GenerationConfig": "generation",
    "Part": "generation",
    "PromptFeedback": "generation",
    "UsageMetadata": "generation",
    "ListModelsResponse": "model",
    "Model": "model",
    "CREATE_TUNED_MODEL_METADATA_TYPE": "operation",
    "TUNED_MODEL_TYPE": "operation",
    "CreateTunedModelMetadata": "operation",
    "ListOperationsResponse": "operation",
    "Operation": "operation",
    "Status": "operation",
    "GranteeType": "permission",
    "ListPermissionsResponse": "permission",
    "Permission": "permission",
    "Role": "permission",
    "Dataset": "tuned_model",
    "Hyperparameters": "tuned_model",
    "ListTunedModelsResponse": "tuned_model",
    "State": "tuned_model",
    "TunedModel": "tuned_model",
    "TunedModelSource": "tuned_model",
    "TuningExample": "tuned_model",
    "TuningExamples": "tuned_model",
    "TuningSnapshot": "tuned_model",
    "TuningTask": "tuned_model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
