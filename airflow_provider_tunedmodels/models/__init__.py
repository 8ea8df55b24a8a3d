"""Pydantic models of the Gemini API's tuning resources, in exact wire format.

The Gemini API's own resources live in :mod:`airflow_provider_tunedmodels.models.gemini`
(those of Vertex AI in :mod:`~airflow_provider_tunedmodels.models.vertex`); the
``generateContent`` messages both APIs share live in
:mod:`~airflow_provider_tunedmodels.models.generation`. This package re-exports
the names below, as it always has.

The names are imported on first use, so importing a submodule such as
:mod:`~airflow_provider_tunedmodels.models.gemini.limits` does not load pydantic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_tunedmodels._lazy import lazy_getattr
from airflow_provider_tunedmodels.models import gemini

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.models.gemini import *  # noqa: F403
    from airflow_provider_tunedmodels.models.generation import (
        Candidate,
        Content,
        GenerateContentRequest,
        GenerateContentResponse,
        GenerationConfig,
        Part,
        PromptFeedback,
        UsageMetadata,
    )

__all__ = [
    "Candidate",
    "Content",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "Part",
    "PromptFeedback",
    "UsageMetadata",
]
__all__ += gemini.__all__

_LAZY: dict[str, str] = {
    **{name: ".generation" for name in __all__ if name not in gemini.__all__},
    **{name: ".gemini" for name in gemini.__all__},
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())
