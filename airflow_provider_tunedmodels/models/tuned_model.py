"""Former home of the Gemini API's tuned-model wire models, kept so that existing imports work.

They now live in :mod:`airflow_provider_tunedmodels.models.gemini.tuned_model`; this module
re-exports the same objects.
"""

from __future__ import annotations

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
    "Dataset",
    "Hyperparameters",
    "ListTunedModelsResponse",
    "State",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]
