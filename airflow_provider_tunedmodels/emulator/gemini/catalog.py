"""Base models the emulator serves through ``models.get`` and ``models.list``.

The fields are the ones recorded from the real ``ListModels`` answers for the
models that supported ``createTunedModel``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BASE_MODELS", "MODELS_DEFAULT_PAGE_SIZE", "base_model", "supports_tuning"]


#: Base models, keyed by resource name, in the order ``models.list`` returns them.
BASE_MODELS: dict[str, dict[str, Any]] = {
    "models/gemini-1.5-flash-001-tuning": {
        "name": "models/gemini-1.5-flash-001-tuning",
        "version": "001",
        "displayName": "Gemini 1.5 Flash 001 Tuning",
        "description": "Version of Gemini 1.5 Flash that supports tuning, our fast and versatile "
        "multimodal model for scaling across diverse tasks, released in May of 2024.",
        "inputTokenLimit": 16384,
        "outputTokenLimit": 8192,
        "supportedGenerationMethods": ["generateContent", "countTokens", "createTunedModel"],
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
    },
    "models/gemini-1.0-pro-001": {
        "name": "models/gemini-1.0-pro-001",
        "version": "001",
        "displayName": "Gemini 1.0 Pro 001 (Tuning)",
        "description": "The original Gemini 1.0 Pro model version that supports tuning. "
        "Gemini 1.0 Pro will be discontinued on February 15th, 2025. Move to a newer "
        "Gemini version.",
        "inputTokenLimit": 30720,
        "outputTokenLimit": 2048,
        "supportedGenerationMethods": ["generateContent", "countTokens", "createTunedModel"],
        "temperature": 0.9,
        "topP": 1.0,
    },
}

#: Default ``pageSize`` of ``models.list``.
MODELS_DEFAULT_PAGE_SIZE = 50


def base_model(name: str) -> dict[str, Any] | None:
    """The base model called ``name`` (``models/...``), or ``None``."""
    return BASE_MODELS.get(name)


def supports_tuning(model: dict[str, Any]) -> bool:
    """Whether ``model`` lists ``createTunedModel`` among its generation methods."""
    return "createTunedModel" in model.get("supportedGenerationMethods", [])
