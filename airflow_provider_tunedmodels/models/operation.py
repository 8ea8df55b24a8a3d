"""Former home of the Gemini API's operation wire models, kept so that existing imports work.

They now live in :mod:`airflow_provider_tunedmodels.models.gemini.operation`; this module
re-exports the same objects.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.models.gemini.operation import (
    CREATE_TUNED_MODEL_METADATA_TYPE,
    TUNED_MODEL_TYPE,
    CreateTunedModelMetadata,
    ListOperationsResponse,
    Operation,
    Status,
)

__all__ = [
    "CREATE_TUNED_MODEL_METADATA_TYPE",
    "TUNED_MODEL_TYPE",
    "CreateTunedModelMetadata",
    "ListOperationsResponse",
    "Operation",
    "Status",
]
