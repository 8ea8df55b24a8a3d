"""Former home of the Gemini API's documented limits, kept so that existing imports work.

They now live in :mod:`airflow_provider_tunedmodels.models.gemini.limits`; this module
re-exports the same objects.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.models.gemini.limits import *  # noqa: F403
from airflow_provider_tunedmodels.models.gemini.limits import __all__ as __all__
