"""Names Airflow persists (class paths, connection type, asset scheme) that 0.1.0 shipped."""

from __future__ import annotations

import importlib

import pytest

from airflow_provider_tunedmodels.get_provider_info import get_provider_info
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

#: Every class path 0.1.0 shipped that Airflow may have stored (trigger rows, links, hooks).
SHIPPED_CLASS_PATHS = [
    "airflow_provider_tunedmodels.triggers.tuned_model.TunedModelTrigger",
    "airflow_provider_tunedmodels.hooks.tuned_models.GeminiTunedModelsHook",
    "airflow_provider_tunedmodels.links.TunedModelLink",
    "airflow_provider_tunedmodels.operators.tuned_model.CreateTunedModelOperator",
    "airflow_provider_tunedmodels.operators.tuned_model.UpdateTunedModelOperator",
    "airflow_provider_tunedmodels.operators.tuned_model.DeleteTunedModelOperator",
    "airflow_provider_tunedmodels.operators.tuned_model.TransferTunedModelOwnershipOperator",
    "airflow_provider_tunedmodels.sensors.tuned_model.TunedModelSensor",
]


@pytest.mark.parametrize("path", SHIPPED_CLASS_PATHS)
def test_every_shipped_class_path_still_imports(path: str) -> None:
    module_name, class_name = path.rsplit(".", 1)
    assert isinstance(getattr(importlib.import_module(module_name), class_name), type)


def test_the_old_hook_path_is_the_same_class() -> None:
    from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook as Old

    assert Old is GeminiTunedModelsHook


def test_the_gemini_hook_accepts_its_old_argument_name() -> None:
    hook = GeminiTunedModelsHook(gemini_conn_id="mine")
    assert (hook.conn_id, hook.gemini_conn_id) == ("mine", "mine")


def test_connection_type_and_asset_scheme_are_still_registered() -> None:
    info = get_provider_info()
    assert "gemini_tuned_models" in {c["connection-type"] for c in info["connection-types"]}
    schemes = {scheme for entry in info["asset-uris"] for scheme in entry["schemes"]}
    assert "gemini-tuned-model" in schemes
    modules = {m for entry in info["triggers"] for m in entry["python-modules"]}
    assert "airflow_provider_tunedmodels.triggers.tuned_model" in modules


def test_operators_still_accept_the_gemini_connection_argument() -> None:
    from airflow_provider_tunedmodels.operators.tuned_model import DeleteTunedModelOperator
    from airflow_provider_tunedmodels.sensors.tuned_model import TunedModelSensor

    delete = DeleteTunedModelOperator(task_id="d", tuned_model_name="m", gemini_conn_id="c1")
    sensor = TunedModelSensor(task_id="s", tuned_model_name="m", gemini_conn_id="c2")
    assert (delete.conn_id, delete.gemini_conn_id) == ("c1", "c1")
    assert (sensor.conn_id, sensor.gemini_conn_id) == ("c2", "c2")
