"""A connection is checked field by field before the first call; errors name fields, not values."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

SECRET = "AIzaSy-do-not-print-me-0123456789"


def hook_for(monkeypatch: pytest.MonkeyPatch, **connection: Any) -> GeminiTunedModelsHook:
    connection.setdefault("conn_type", "gemini_tuned_models")
    monkeypatch.setenv("AIRFLOW_CONN_CHECKED", json.dumps(connection))
    return GeminiTunedModelsHook("checked")


def refusal(monkeypatch: pytest.MonkeyPatch, **connection: Any) -> str:
    hook = hook_for(monkeypatch, **connection)
    with pytest.raises(ConfigurationError) as caught:
        hook.settings  # noqa: B018
    ok, message = hook.test_connection()
    assert not ok
    assert message == str(caught.value)
    assert SECRET not in message
    return message


@pytest.mark.parametrize("conn_type", ["google_cloud_platform", "http"])
def test_a_connection_of_another_type_is_refused_naming_both_types(
    monkeypatch: pytest.MonkeyPatch, conn_type: str
) -> None:
    message = refusal(monkeypatch, conn_type=conn_type, password=SECRET)
    assert f"of type '{conn_type}'" in message
    assert "needs a 'gemini_tuned_models' connection" in message
    assert "Application Default Credentials" not in message


def test_a_uri_with_the_types_hyphenated_scheme_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BY_URI", f"gemini-tuned-models://:{SECRET}@gateway.test")
    settings = GeminiTunedModelsHook("by_uri").settings
    assert (settings.root_url, settings.auth_method) == ("https://gateway.test", "api_key")


def test_a_key_in_login_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, login=SECRET)
    assert "Login is set" in message
    assert "API key field" in message


def test_an_unknown_extra_is_refused_with_the_closest_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refusal(monkeypatch, extra={"keypath": SECRET, "timeout": 5})
    assert "'keypath' (did you mean 'key_path'?)" in message


def test_the_api_key_field_of_the_form_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = hook_for(monkeypatch, extra={"api_key": SECRET}).settings
    assert settings.api_key == SECRET
    assert settings.auth_method == "api_key"


def test_two_different_api_keys_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, password="other-key", extra={"api_key": SECRET})
    assert "two different API keys" in message


def test_two_ways_to_authenticate_are_named_as_the_form_labels_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refusal(monkeypatch, extra={"api_key": SECRET, "key_path": "/k.json"})
    assert "API key and Service-account key file are both set" in message


def test_the_port_field_completes_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = hook_for(monkeypatch, host="http://127.0.0.1", port=8089).settings
    assert settings.root_url == "http://127.0.0.1:8089"
    same = hook_for(monkeypatch, host="http://127.0.0.1:8089", port=8089).settings
    assert same.root_url == "http://127.0.0.1:8089"
    message = refusal(monkeypatch, host="http://127.0.0.1:8089", port=443)
    assert "Base URL says port 8089 but Port says 443" in message


def test_a_connection_test_fails_fast_and_speaks_of_the_api_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    hook = hook_for(monkeypatch, host=f"http://127.0.0.1:{port}", password=SECRET)
    started = time.monotonic()
    ok, message = hook.test_connection()
    assert not ok
    assert time.monotonic() - started < 3
    assert "API server" in message
    assert "worker" not in message
    assert SECRET not in message


def test_a_working_connection_is_described_in_words(
    monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator
) -> None:
    hook = hook_for(monkeypatch, host=emulator.base_url, extra={"api_key": emulator.api_key})
    ok, message = hook.test_connection()
    assert ok, message
    assert message == f"Connection to {emulator.base_url}/v1beta (with an API key) works."
    assert hook.settings.retry.max_attempts > 1  # the test's single attempt was temporary
