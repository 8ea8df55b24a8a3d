"""The connection form: one place to choose how to authenticate, help on every field, no defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_tunedmodels.get_provider_info import get_provider_info
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook


def gemini_form() -> dict[str, Any]:
    types = get_provider_info()["connection-types"]
    (connection_type,) = [t for t in types if t["connection-type"] == "gemini_tuned_models"]
    return dict(connection_type)


def test_every_way_to_authenticate_is_an_extra_field_with_one_line_of_help() -> None:
    form = gemini_form()
    fields = form["conn-fields"]
    assert list(fields)[:3] == ["api_key", "key_path", "keyfile_dict"]
    assert [fields[name]["label"] for name in list(fields)[:3]] == [
        "API key",
        "Service-account key file",
        "Service-account key JSON",
    ]
    assert "Application Default Credentials" in fields["api_key"]["description"]
    assert fields["api_key"]["schema"]["format"] == "password"
    assert "password" in form["ui-field-behaviour"]["hidden-fields"]


def test_every_extra_field_has_help_and_no_default_is_stored() -> None:
    for name, field in gemini_form()["conn-fields"].items():
        assert field["description"], name
        assert "default" not in field["schema"], name
    help_of = {name: field["description"] for name, field in gemini_form()["conn-fields"].items()}
    assert "Empty: v1beta" in help_of["api_version"]
    assert "Empty: 60" in help_of["timeout"]
    assert "Empty: 4" in help_of["max_retries"]


def test_port_stays_visible_and_base_url_says_what_empty_means() -> None:
    behaviour = gemini_form()["ui-field-behaviour"]
    assert "port" not in behaviour["hidden-fields"]
    assert behaviour["relabeling"] == {"host": "Base URL", "port": "Port"}
    assert behaviour["placeholders"]["host"] == "Empty means Google's address"
    assert len(behaviour["placeholders"]["host"]) <= 30  # fits the input box
    assert (
        GeminiTunedModelsHook.get_ui_field_behaviour()["hidden_fields"]
        == behaviour["hidden-fields"]
    )


def test_what_the_form_saves_is_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # The form stores unset fields as null, and older forms prefix the keys.
    extra = {name: None for name in gemini_form()["conn-fields"]}
    extra.update({"api_key": "AIzaSy-from-the-form-01", "extra__gemini_tuned_models__timeout": 9})
    connection = {
        "conn_type": "gemini_tuned_models",
        "host": "http://127.0.0.1",
        "port": 8089,
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_FROM_FORM", json.dumps(connection))
    settings = GeminiTunedModelsHook("from_form").settings
    assert settings.root_url == "http://127.0.0.1:8089"
    assert (settings.auth_method, settings.timeout) == ("api_key", 9.0)
    assert settings.api_version == "v1beta"
