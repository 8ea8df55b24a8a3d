"""Triggers that wait for tuning jobs in Airflow's triggerer.

The classes are imported on first use, so importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.triggers.tuned_model import TunedModelTrigger
    from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

__all__ = ["TunedModelTrigger", "TuningJobTrigger"]

_HOMES = {
    "TuningJobTrigger": "airflow_provider_tunedmodels.triggers.tuning_job",
    "TunedModelTrigger": "airflow_provider_tunedmodels.triggers.tuned_model",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_HOMES[name]), name)
