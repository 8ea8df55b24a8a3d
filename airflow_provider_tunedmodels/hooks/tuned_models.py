"""Former home of :class:`GeminiTunedModelsHook` (0.1.0), kept so stored paths still import.

The hook now lives in :mod:`airflow_provider_tunedmodels.hooks.gemini`.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook, describe_progress

__all__ = ["GeminiTunedModelsHook", "describe_progress"]
