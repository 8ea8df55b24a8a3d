"""Airflow names whose home differs between the supported releases (3.1 and newer).

Airflow 3.2 gave the Task SDK its own configuration object and exception classes
(``airflow.sdk.conf``, ``airflow.sdk.exceptions``); on 3.1 they exist only in
``airflow.configuration`` and ``airflow.exceptions``, and on 3.2 and newer the old homes
are deprecated. Every module of this package (and its tests) imports these names from
here, so supporting or dropping a release changes this one module.

Importing this module is cheap: both homes are light. ``DagBag`` (which tools and tests
use to parse DAG files) loads the DAG processor, so it is imported only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow.dag_processing.dagbag import DagBag

try:
    from airflow.sdk import conf
except ImportError:  # Airflow 3.1
    from airflow.configuration import conf  # type: ignore[assignment,unused-ignore]

try:
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowRescheduleException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[assignment,attr-defined,no-redef,unused-ignore]
        AirflowException,
        AirflowFailException,
        AirflowNotFoundException,
        AirflowRescheduleException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferred,
    )

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "DagBag",
    "TaskDeferred",
    "aget_connection",
    "conf",
]


def __getattr__(name: str) -> Any:
    """Import ``DagBag`` from its home on this Airflow release when it is first asked for."""
    if name != "DagBag":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[attr-defined,no-redef,unused-ignore]
    return DagBag


async def aget_connection(conn_id: str) -> Any:
    """Read an Airflow connection without blocking the event loop (a triggerer's loop)."""
    from airflow.sdk import BaseHook

    aget = getattr(BaseHook, "aget_connection", None)
    if aget is not None:
        return await aget(conn_id)
    from asgiref.sync import sync_to_async

    return await sync_to_async(BaseHook.get_connection)(conn_id)
