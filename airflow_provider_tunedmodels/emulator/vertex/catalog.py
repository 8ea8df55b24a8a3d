"""Gemini base models Vertex AI tunes, their adapter sizes and their successors.

The adapter sizes follow the published limits (Gemini 2.x: 1, 2, 4, 8, 16;
1.5 Pro: 1, 4; 1.5 Flash: 1, 4, 8, 16). Which model a rebase moves a tuned
model to (its *successor*) is not documented; the emulator's choice is the
newest model of the same size class.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BASE_MODELS", "BaseModel", "base_model", "publisher_model_id"]

_GEMINI_2_ADAPTERS = (1, 2, 4, 8, 16)
_PUBLISHER_PREFIX = "publishers/google/models/"


@dataclass(frozen=True)
class BaseModel:
    """A tunable base model."""

    model_id: str
    adapter_sizes: tuple[int, ...]
    successor: str | None = None


#: Tunable base models by id.
BASE_MODELS: dict[str, BaseModel] = {
    model.model_id: model
    for model in (
        BaseModel("gemini-1.5-pro-002", (1, 4), successor="gemini-2.5-pro"),
        BaseModel("gemini-1.5-flash-002", (1, 4, 8, 16), successor="gemini-2.5-flash"),
        BaseModel("gemini-2.0-flash-001", _GEMINI_2_ADAPTERS, successor="gemini-2.5-flash"),
        BaseModel(
            "gemini-2.0-flash-lite-001", _GEMINI_2_ADAPTERS, successor="gemini-2.5-flash-lite"
        ),
        BaseModel("gemini-2.5-pro", (1, 2, 4, 8)),
        BaseModel("gemini-2.5-flash", _GEMINI_2_ADAPTERS, successor="gemini-3.5-flash"),
        BaseModel("gemini-2.5-flash-lite", _GEMINI_2_ADAPTERS),
        BaseModel("gemini-3.5-flash", _GEMINI_2_ADAPTERS),
    )
}


def publisher_model_id(name: str) -> str:
    """``gemini-2.5-flash`` from itself, ``publishers/google/models/...`` or a full name."""
    _, _, tail = name.rpartition(_PUBLISHER_PREFIX)
    return tail


def base_model(name: str) -> BaseModel | None:
    """The tunable base model called ``name`` (any of the accepted forms), if any."""
    return BASE_MODELS.get(publisher_model_id(name))
