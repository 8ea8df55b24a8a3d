"""Former home of the Gemini API's local request checks, kept so that existing imports work.

They now live in :mod:`airflow_provider_tunedmodels.models.gemini.validation`; this module
re-exports the same objects.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.models.gemini.validation import *  # noqa: F403
from airflow_provider_tunedmodels.models.gemini.validation import __all__ as __all__
