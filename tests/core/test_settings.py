from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.auth import ApiKeyAuth, GoogleCredentialsAuth
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GEMINI_CONNECTION


def connection(**kwargs: Any) -> SimpleNamespace:
    defaults: dict[str, Any] = {
        "conn_id": "gemini",
        "host": None,
        "password": None,
        "extra_dejson": {},
    }
    defaults.update(kwargs)
    return SimpleNamespace(**defaults)


def test_defaults_point_at_the_public_api() -> None:
    settings = ClientSettings.from_connection(connection(password="k" * 20), GEMINI_CONNECTION)
    assert settings.root_url == "https://generativelanguage.googleapis.com"
    assert settings.api_version == "v1beta"
    assert settings.auth_method == "api_key"
    assert settings.retry.max_attempts == 5
    assert settings.scopes == GEMINI_CONNECTION.scopes
    assert isinstance(settings.build_auth(), ApiKeyAuth)


def test_extras_are_read_with_or_without_the_ui_prefix() -> None:
    settings = ClientSettings.from_connection(
        connection(
            host="http://127.0.0.1:8089/",
            extra_dejson={
                "api_version": "v1",
                "extra__gemini_tuned_models__timeout": "12.5",
                "max_retries": 2,
                "scopes": "a, b",
                "quota_project_id": "proj",
            },
        ),
        GEMINI_CONNECTION,
    )
    assert settings.root_url == "http://127.0.0.1:8089"
    assert settings.api_version == "v1"
    assert settings.timeout == 12.5
    assert settings.retry.max_attempts == 3
    assert settings.scopes == ("a", "b")
    assert settings.quota_project_id == "proj"
    assert settings.auth_method == "application_default"
    assert isinstance(settings.build_auth(), GoogleCredentialsAuth)


def test_host_without_scheme_uses_https_and_port() -> None:
    settings = ClientSettings.from_connection(
        connection(host="gateway.internal", port=8443), GEMINI_CONNECTION
    )
    assert settings.root_url == "https://gateway.internal:8443"


def test_two_ways_to_authenticate_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="keep exactly one way to authenticate"):
        ClientSettings.from_connection(
            connection(password="key", extra_dejson={"key_path": "/k.json"}), GEMINI_CONNECTION
        )


def test_api_key_in_the_url_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="must not carry a query string"):
        ClientSettings(base_url="https://x.test/?key=abc")


def test_bad_numbers_and_keyfile_json_say_what_to_fix() -> None:
    with pytest.raises(ConfigurationError, match=r"Request timeout \(seconds\) must be a number"):
        ClientSettings.from_connection(
            connection(extra_dejson={"timeout": "soon"}), GEMINI_CONNECTION
        )
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        ClientSettings.from_connection(
            connection(extra_dejson={"keyfile_dict": "{nope"}), GEMINI_CONNECTION
        )
    with pytest.raises(ConfigurationError, match="not a service-account key"):
        ClientSettings.from_connection(
            connection(extra_dejson={"keyfile_dict": json.dumps({"a": 1})}), GEMINI_CONNECTION
        )


def test_repr_and_str_never_show_the_key() -> None:
    secret = "AIzaSy-very-secret-key-123"
    settings = ClientSettings.from_connection(connection(password=secret), GEMINI_CONNECTION)
    for text in (repr(settings), str(settings), settings.describe(), repr(settings.build_auth())):
        assert secret not in text


def test_missing_key_file_is_a_configuration_error() -> None:
    settings = ClientSettings(base_url="https://x.test", key_path="/nonexistent/key.json")
    auth = settings.build_auth()
    assert isinstance(auth, GoogleCredentialsAuth)
    with pytest.raises(ConfigurationError, match="could not load Google credentials"):
        auth.headers()


def test_failing_credentials_are_explained_in_the_forms_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    with pytest.raises(ConfigurationError) as caught:
        ClientSettings(base_url="https://x.test").build_auth().headers()
    assert "no API key, Service-account key file or Service-account key JSON is set" in str(
        caught.value
    )
    with pytest.raises(ConfigurationError, match="check the Service-account key file: it must"):
        ClientSettings(
            base_url="https://x.test", key_path="/nonexistent/k.json"
        ).build_auth().headers()
