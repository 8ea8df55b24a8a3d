"""Triggers that wait for tuning jobs in Airflow's triggerer.

The classes are imported on first use, so importing this package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_tunedmodels._lazy import lazy_getattr

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.triggers.tuned_model import TunedModelTrigger
    from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

__all__ = ["TunedModelTrigger", "TuningJobTrigger"]

_HOMES = {
    "TuningJobTrigger": "airflow_provider_tunedmodels.triggers.tuning_job",
    "TunedModelTrigger": "airflow_provider_tunedmodels.triggers.tuned_model",
}


__getattr__ = lazy_getattr(__name__, _HOMES, globals())
