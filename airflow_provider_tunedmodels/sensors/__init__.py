"""Sensors for Gemini API tuned models."""

from __future__ import annotations

from airflow_provider_tunedmodels.sensors.tuned_model import TunedModelSensor

__all__ = ["TunedModelSensor"]
