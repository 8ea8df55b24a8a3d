"""What the two example-pipeline runners share: a fresh Airflow home, the DAG in it, XComs."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["fresh_airflow_home", "load_dag", "xcom"]


def fresh_airflow_home(run_dir: Path, dag_file: Path, env: dict[str, str]) -> Path:
    """Empty ``run_dir``, make an Airflow home in it with ``dag_file`` and the examples' data.

    Points this process's Airflow at that home (with ``env`` on top), migrates its SQLite
    database and returns the home.
    """
    home = run_dir / "airflow-home"
    shutil.rmtree(run_dir, ignore_errors=True)
    (home / "dags").mkdir(parents=True)
    shutil.copyfile(dag_file, home / "dags" / dag_file.name)
    shutil.copytree(dag_file.parent / "data", home / "dags" / "data")
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            **env,
        }
    )
    print(f"Airflow home: {home}")
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
    )
    return home


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
