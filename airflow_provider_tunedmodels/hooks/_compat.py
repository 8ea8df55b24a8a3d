"""Imports that moved between Airflow 3 minor versions."""

from __future__ import annotations

from typing import Any

try:
    from airflow.sdk import BaseHook
except ImportError:  # Airflow 3.0
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef,attr-defined,unused-ignore]

__all__ = ["BaseHook", "aget_connection"]


async def aget_connection(conn_id: str) -> Any:
    """Read an Airflow connection without blocking the event loop."""
    aget = getattr(BaseHook, "aget_connection", None)
    if aget is not None:
        return await aget(conn_id)
    from asgiref.sync import sync_to_async

    return await sync_to_async(BaseHook.get_connection)(conn_id)
