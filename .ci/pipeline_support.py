"""What the two example-pipeline runners share: loading the copied DAG file and reading XComs."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

__all__ = ["load_dag", "xcom"]


def load_dag(file_name: str) -> Any:
    """The ``dag`` of ``file_name`` in the Airflow home's DAGs folder."""
    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / file_name
    spec = importlib.util.spec_from_file_location(Path(file_name).stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    """The XCom ``key`` of ``task_id`` in ``dag_run``, or ``None``."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id, key=key, dag_ids=dag_run.dag_id, task_ids=task_id
            )
        ).first()
        return XComModel.deserialize_value(row) if row is not None else None
