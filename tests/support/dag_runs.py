"""Helpers for ``dag.test()`` runs: placing DAG files, and reading a run's results.

``dag.test()`` parses the DAG from its file in the DAGs folder, so a test DAG is
imported from a copy placed there. The readers query the session's metadata
database (see the ``airflow_db`` fixture) and import Airflow only when called.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any


def dags_folder() -> Path:
    """The session's DAGs folder (``AIRFLOW__CORE__DAGS_FOLDER``), created if missing."""
    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def import_dag_file(path: Path, module_name: str) -> ModuleType:
    """Import the DAG file at ``path`` as a module named ``module_name``."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_dag_file(source: Path, module_name: str) -> ModuleType:
    """Copy the DAG file ``source`` into the DAGs folder and import the copy."""
    target = dags_folder() / source.name
    shutil.copyfile(source, target)
    return import_dag_file(target, module_name)


def xcom_value(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    """The XCom ``key`` that ``task_id`` pushed in ``dag_run``; fails if there is none."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id, key=key, dag_ids=dag_run.dag_id, task_ids=task_id
            )
        ).first()
        assert row is not None, f"no XCom {key!r} for {task_id}"
        return XComModel.deserialize_value(row)


def asset_event_extras(uri: str) -> list[dict[str, Any]]:
    """The extras of every event of the asset at ``uri``."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.uri == uri)
        ).all()
        return [dict(event.extra) for event in events]


def task_states(dag_run: Any) -> dict[str, str]:
    """Each task's final state in ``dag_run``."""
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def task_states_and_tries(dag_run: Any) -> dict[str, tuple[str, int]]:
    """Each task's final state in ``dag_run`` and the number of its last try."""
    return {ti.task_id: (str(ti.state), ti.try_number) for ti in dag_run.get_task_instances()}
