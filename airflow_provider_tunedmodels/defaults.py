"""Defaults that more than one module needs, defined once.

This module imports nothing, so the modules a DAG file imports (operators) and
the provider's metadata can use it without cost.
"""

from __future__ import annotations

from typing import Final

__all__ = ["GEMINI_CONN_ID", "VERTEX_CONN_ID", "VERTEX_LOCATION"]

#: Connection id used when a Gemini API hook or operator is given none.
GEMINI_CONN_ID: Final = "gemini_tuned_models_default"
#: Connection id used when a Vertex AI hook or operator is given none.
VERTEX_CONN_ID: Final = "vertex_ai_tuning_default"
#: Vertex AI location used when the connection names none.
VERTEX_LOCATION: Final = "us-central1"
