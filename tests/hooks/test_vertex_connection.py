"""Reading Vertex AI connections: OAuth only, project and location, Google's own connection type."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.hooks.vertex_connection import (
    VERTEX_SCOPES,
    vertex_host,
    vertex_settings,
)
from tests.hooks.vertex_support import (
    HOST,
    PARENT,
    PROJECT,
    mock_token_endpoint,
    service_account_info,
)


def connection(**fields: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "conn_id": "vertex",
        "conn_type": "vertex_ai_tuning",
        "host": None,
        "schema": None,
        "port": None,
        "password": None,
        "extra_dejson": {},
        **fields,
    }
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "https://europe-west4-aiplatform.googleapis.com"),
        ("global", "https://aiplatform.googleapis.com"),
        ("us", "https://aiplatform.us.rep.googleapis.com"),
        ("eu", "https://aiplatform.eu.rep.googleapis.com"),
    ],
)
def test_the_host_follows_the_location(location: str, host: str) -> None:
    assert vertex_host(location) == host
    settings = vertex_settings(connection(extra_dejson={"project": "p", "location": location}))
    assert settings.base_url == host
    assert (settings.project, settings.location) == ("p", location)


def test_defaults_are_v1_us_central1_and_the_cloud_platform_scope() -> None:
    settings = vertex_settings(connection(extra_dejson={"project": "p"}))
    assert (settings.api_version, settings.location, settings.scopes) == (
        "v1",
        "us-central1",
        VERTEX_SCOPES,
    )
    assert settings.auth_method == "application_default"


def test_a_host_overrides_google_and_v1beta1_is_selectable() -> None:
    settings = vertex_settings(
        connection(
            host="127.0.0.1",
            schema="http",
            port=8089,
            extra_dejson={"project": "p", "api_version": "v1beta1", "quota_project_id": "bill"},
        )
    )
    assert settings.base_url == "http://127.0.0.1:8089"
    assert settings.api_version == "v1beta1"
    assert settings.quota_project_id == "bill"


def test_an_api_key_is_refused_saying_why() -> None:
    with pytest.raises(ConfigurationError, match="does not accept API keys") as exc:
        vertex_settings(connection(password="AIzaSy-secret-key-0123456789"))
    assert "AIzaSy-secret-key-0123456789" not in str(exc.value)


def test_a_google_cloud_platform_connection_is_read_as_it_is(tmp_path: Path) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info()))
    settings = vertex_settings(
        connection(
            conn_type="google_cloud_platform",
            extra_dejson={
                "extra__google_cloud_platform__key_path": str(key_file),
                "extra__google_cloud_platform__scope": "https://www.googleapis.com/auth/cloud-platform",
                "extra__google_cloud_platform__impersonation_chain": (
                    "relay@p.iam.gserviceaccount.com, tuner@p.iam.gserviceaccount.com"
                ),
                "location": "europe-west4",
            },
        )
    )
    assert settings.key_path == str(key_file)
    assert settings.project == PROJECT  # from the key file, as the Google provider does
    assert settings.impersonation_chain == (
        "relay@p.iam.gserviceaccount.com",
        "tuner@p.iam.gserviceaccount.com",
    )
    assert settings.base_url == vertex_host("europe-west4")


def test_plain_google_extras_and_a_keyfile_dict_project() -> None:
    info = service_account_info()
    settings = vertex_settings(
        connection(
            conn_type="google_cloud_platform",
            extra_dejson={"keyfile_dict": json.dumps(info), "impersonation_chain": ["a@p.iam"]},
        )
    )
    assert settings.project == PROJECT
    assert settings.impersonation_chain == ("a@p.iam",)
    assert info["private_key"] not in repr(settings)


def test_impersonation_wraps_the_credentials() -> None:
    from google.auth import impersonated_credentials

    settings = vertex_settings(
        connection(
            extra_dejson={
                "keyfile_dict": service_account_info(),
                "impersonation_chain": "relay@p.iam.gserviceaccount.com,tuner@p.iam.gserviceaccount.com",
            }
        )
    )
    credentials = settings._credentials_factory()
    assert isinstance(credentials, impersonated_credentials.Credentials)
    assert credentials.service_account_email == "tuner@p.iam.gserviceaccount.com"
    assert credentials._delegates == ["relay@p.iam.gserviceaccount.com"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"location": "US Central"}, "not a location id"),
        ({"api_version": "v2"}, "not one of v1, v1beta1"),
        ({"extra__google_cloud_platform__key_secret_name": "s"}, "not supported"),
        ({"impersonation_chain": "not-an-email"}, "give service account emails"),
    ],
)
def test_connection_mistakes_are_explained(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        vertex_settings(connection(extra_dejson=extra))


@respx.mock
def test_test_connection_reads_an_airflow_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    value = {
        "conn_type": "vertex_ai_tuning",
        "extra": {"project": PROJECT, "keyfile_dict": service_account_info()},
    }
    monkeypatch.setenv("AIRFLOW_CONN_VERTEX_TEST", json.dumps(value))
    mock_token_endpoint()
    route = respx.get(f"{HOST}/v1/{PARENT}/tuningJobs").mock(
        side_effect=[
            httpx.Response(200, json={}),
            httpx.Response(403, json={"error": {"code": 403, "status": "PERMISSION_DENIED"}}),
        ]
    )
    hook = VertexTuningJobsHook("vertex_test")
    assert hook.test_connection() == (
        True,
        f"Connection to {HOST}/v1 (with a service-account key) works.",
    )
    ok, message = hook.test_connection()
    assert not ok
    assert "PERMISSION_DENIED" in message
    assert route.calls.last.request.url.params["pageSize"] == "1"
    hook.close()
