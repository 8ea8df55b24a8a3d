"""Pydantic models of the Gemini API's tuning resources, in exact wire format.

The Gemini API's own resources live in :mod:`airflow_provider_tunedmodels.models.gemini`
(those of Vertex AI in :mod:`~airflow_provider_tunedmodels.models.vertex`); the
``generateContent`` messages both APIs share live in
:mod:`~airflow_provider_tunedmodels.models.generation`. This package re-exports
the names below, as it always has.

The names are imported on first use, so importing a submodule such as
:mod:`~airflow_provider_tunedmodels.models.limits` does not load pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_tunedmodels._lazy import lazy_getattr

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.models.gemini.model import ListModelsResponse, Model
    from airflow_provider_tunedmodels.models.gemini.operation import (
        CREATE_TUNED_MODEL_METADATA_TYPE,
        TUNED_MODEL_TYPE,
        CreateTunedModelMetadata,
        ListOperationsResponse,
        Operation,
        Status,
    )
    from airflow_provider_tunedmodels.models.gemini.permission import (
        GranteeType,
        ListPermissionsResponse,
        Permission,
        Role,
    )
    from airflow_provider_tunedmodels.models.gemini.tuned_model import (
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
    "Candidate": ".generation",
    "Content": ".generation",
    "GenerateContentRequest": ".generation",
    "GenerateContentResponse": ".generation",
    "GenerationConfig": ".generation",
    "Part": ".generation",
    "PromptFeedback": ".generation",
    "UsageMetadata": ".generation",
    "ListModelsResponse": ".gemini.model",
    "Model": ".gemini.model",
    "CREATE_TUNED_MODEL_METADATA_TYPE": ".gemini.operation",
    "TUNED_MODEL_TYPE": ".gemini.operation",
    "CreateTunedModelMetadata": ".gemini.operation",
    "ListOperationsResponse": ".gemini.operation",
    "Operation": ".gemini.operation",
    "Status": ".gemini.operation",
    "GranteeType": ".gemini.permission",
    "ListPermissionsResponse": ".gemini.permission",
    "Permission": ".gemini.permission",
    "Role": ".gemini.permission",
    "Dataset": ".gemini.tuned_model",
    "Hyperparameters": ".gemini.tuned_model",
    "ListTunedModelsResponse": ".gemini.tuned_model",
    "State": ".gemini.tuned_model",
    "TunedModel": ".gemini.tuned_model",
    "TunedModelSource": ".gemini.tuned_model",
    "TuningExample": ".gemini.tuned_model",
    "TuningExamples": ".gemini.tuned_model",
    "TuningSnapshot": ".gemini.tuned_model",
    "TuningTask": ".gemini.tuned_model",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
