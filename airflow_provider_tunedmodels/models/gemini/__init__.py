"""Pydantic models of the Gemini API's (Generative Language ``v1beta``) tuning resources.

Tuned models, their operations and permissions, and base models, in exact wire
format; the ``generateContent`` messages, which Vertex AI shares, are in
:mod:`airflow_provider_tunedmodels.models.generation`. The Vertex AI
counterparts are in :mod:`airflow_provider_tunedmodels.models.vertex`.

The names below are imported on first use, like those of
:mod:`airflow_provider_tunedmodels.models`; validation lives in
:mod:`~airflow_provider_tunedmodels.models.gemini.validation`.
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


__all__ = [
    "CREATE_TUNED_MODEL_METADATA_TYPE",
    "TUNED_MODEL_TYPE",
    "CreateTunedModelMetadata",
    "Dataset",
    "GranteeType",
    "Hyperparameters",
    "ListModelsResponse",
    "ListOperationsResponse",
    "ListPermissionsResponse",
    "ListTunedModelsResponse",
    "Model",
    "Operation",
    "Permission",
    "Role",
    "State",
    "Status",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]

_LAZY: dict[str, str] = {
    "ListModelsResponse": ".model",
    "Model": ".model",
    "CREATE_TUNED_MODEL_METADATA_TYPE": ".operation",
    "TUNED_MODEL_TYPE": ".operation",
    "CreateTunedModelMetadata": ".operation",
    "ListOperationsResponse": ".operation",
    "Operation": ".operation",
    "Status": ".operation",
    "GranteeType": ".permission",
    "ListPermissionsResponse": ".permission",
    "Permission": ".permission",
    "Role": ".permission",
    "Dataset": ".tuned_model",
    "Hyperparameters": ".tuned_model",
    "ListTunedModelsResponse": ".tuned_model",
    "State": ".tuned_model",
    "TunedModel": ".tuned_model",
    "TunedModelSource": ".tuned_model",
    "TuningExample": ".tuned_model",
    "TuningExamples": ".tuned_model",
    "TuningSnapshot": ".tuned_model",
    "TuningTask": ".tuned_model",
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
