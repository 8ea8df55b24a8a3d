"""What every operator that talks to the Gemini API shares: the connection id and a lazy hook.

Operator modules are imported each time a DAG file is parsed, so they import
the hook (and through it httpx, pydantic and google-auth) only when a task runs.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook

__all__ = ["DEFAULT_CONN_ID", "GeminiBaseOperator"]

#: Default Airflow connection id (connection type ``gemini_tuned_models``).
DEFAULT_CONN_ID = "gemini_tuned_models_default"


class GeminiBaseOperator(BaseOperator):
    """Base class: holds ``gemini_conn_id`` and builds the hook on first use.

    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.
    """

    def __init__(self, *, gemini_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gemini_conn_id = gemini_conn_id

    @cached_property
    def hook(self) -> GeminiTunedModelsHook:
        """The hook for ``gemini_conn_id`` (imported lazily to keep DAG parsing cheap)."""
        from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook

        return GeminiTunedModelsHook(self.gemini_conn_id)
