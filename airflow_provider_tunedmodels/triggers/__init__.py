"""Triggers that wait for Gemini API tuning jobs in Airflow's triggerer."""

from __future__ import annotations

from airflow_provider_tunedmodels.triggers.tuned_model import TunedModelTrigger

__all__ = ["TunedModelTrigger"]
