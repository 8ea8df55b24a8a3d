"""The Gemini API (``generativelanguage.googleapis.com``): tuned models, their
permissions and operations, base models and generation.

:func:`register` adds its routes to the emulator's router.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.gemini.routes import register

__all__ = ["register"]
