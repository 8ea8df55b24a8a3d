"""What every operator that talks to a tuning backend shares: the connection id and a lazy hook.

Operator modules are imported each time a DAG file is parsed, so they import
the hook (and through it httpx, pydantic and google-auth) only when a task runs:
a backend is named by its hook class path, imported on first use.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

from airflow.sdk import BaseOperator

from airflow_provider_tunedmodels.defaults import GEMINI_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.base import TuningJobHook
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

__all__ = ["DEFAULT_CONN_ID", "GeminiBaseOperator", "TuningBaseOperator"]

#: Default Airflow connection id of the Gemini backend (connection type ``gemini_tuned_models``).
DEFAULT_CONN_ID = GEMINI_CONN_ID


class TuningBaseOperator(BaseOperator):
    """Base class: holds ``conn_id`` and builds the backend's hook on first use.

    Subclasses name their backend in ``hook_class_path`` and its default connection
    in ``default_conn_id``.

    :param conn_id: the Airflow connection of the backend's type.
    """

    hook_class_path: ClassVar[str]
    default_conn_id: ClassVar[str]

    def __init__(self, *, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id or self.default_conn_id

    @cached_property
    def hook(self) -> TuningJobHook:
        """The backend's hook for ``conn_id`` (imported lazily to keep DAG parsing cheap)."""
        from airflow_provider_tunedmodels.hooks.base import import_hook_class

        return import_hook_class(self.hook_class_path)(self.conn_id)


class GeminiBaseOperator(TuningBaseOperator):
    """Base of the Gemini API operators.

    :param conn_id: Airflow connection of type ``gemini_tuned_models``
        (``gemini_conn_id`` is accepted too).
    """

    hook_class_path = "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook"
    default_conn_id = DEFAULT_CONN_ID

    def __init__(
        self, *, conn_id: str | None = None, gemini_conn_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(conn_id=conn_id or gemini_conn_id, **kwargs)

    @cached_property
    def hook(self) -> GeminiTunedModelsHook:
        """The hook for ``conn_id``: Gemini's, or that of a subclass's ``hook_class_path``.

        (The Vertex AI generate and evaluate operators reuse these operators with their
        own backend, whose hook answers the same generation calls.)
        """
        from airflow_provider_tunedmodels.hooks.base import import_hook_class

        return cast("GeminiTunedModelsHook", import_hook_class(self.hook_class_path)(self.conn_id))

    @property
    def gemini_conn_id(self) -> str:
        """The connection id, under the name it had before backends were neutral."""
        return self.conn_id
