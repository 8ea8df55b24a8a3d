"""Vertex AI (``aiplatform.googleapis.com``): tuning jobs, their operations, the Model
Registry of tuned models, experiment contexts and generation on tuned endpoints
and publisher models.

:func:`register` adds its routes to the emulator's router.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.vertex.routes import register

__all__ = ["register"]
