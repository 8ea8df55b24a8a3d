"""Sensors that wait for tuning jobs."""

from __future__ import annotations

from airflow_provider_tunedmodels.sensors.tuned_model import TunedModelSensor
from airflow_provider_tunedmodels.sensors.tuning_job import TuningJobSensor

__all__ = ["TunedModelSensor", "TuningJobSensor"]
