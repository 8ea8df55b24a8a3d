"""Airflow discovers the provider through its entry point, as a user's installation would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GEMINI_CONNECTION


def airflow_cli(*args: str, home: Path) -> str:
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


def test_providers_list_and_hooks_show_the_provider(tmp_path: Path) -> None:
    providers = json.loads(airflow_cli("providers", "list", "-o", "json", home=tmp_path))
    ours = [p for p in providers if p["package_name"] == "airflow-provider-tunedmodels"]
    assert len(ours) == 1
    assert ours[0]["version"] == "0.1.0"
    hooks = json.loads(airflow_cli("providers", "hooks", "-o", "json", home=tmp_path))
    gemini = [h for h in hooks if h["connection_type"] == "gemini_tuned_models"]
    assert gemini[0]["class"] == "airflow_provider_tunedmodels.hooks.gemini.GeminiTunedModelsHook"
    links = airflow_cli("providers", "links", "-o", "json", home=tmp_path)
    assert "airflow_provider_tunedmodels.links.TunedModelLink" in links


def test_the_api_key_is_registered_with_airflows_secrets_masker() -> None:
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    key = "AIzaSy-masked-in-task-logs-0042"

    class Conn:
        conn_id = "gemini"
        host = None
        password = key
        extra_dejson: dict[str, str] = {}

    ClientSettings.from_connection(Conn(), GEMINI_CONNECTION)
    assert _secrets_masker().redact(f"calling with {key}") == "calling with ***"


@pytest.mark.parametrize(
    "module", ["operators.tuned_model", "operators.evaluate", "sensors.tuned_model"]
)
def test_operator_modules_do_not_import_the_http_stack(module: str) -> None:
    code = (
        "import sys, airflow.sdk; before = set(sys.modules); "
        f"import airflow_provider_tunedmodels.{module}; "
        "added = set(sys.modules) - before; "
        "print(sorted(m for m in added if m.startswith(('google.auth', 'airflow_provider_tunedmodels.hooks', "
        "'airflow_provider_tunedmodels.core.http', 'airflow_provider_tunedmodels.models.tuned_model'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
