"""Provider metadata Airflow reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels import __version__

__all__ = ["CONN_FIELDS", "UI_FIELD_BEHAVIOUR", "get_provider_info"]

#: How the generic connection form fields are shown for this connection type.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login"],
    "relabeling": {"host": "Base URL", "password": "API key"},
    "placeholders": {
        "host": "https://generativelanguage.googleapis.com (or http://127.0.0.1:8089 for the emulator)",
        "password": "Gemini API key; leave empty to use a service-account key or ADC",
        "extra": '{"api_version": "v1beta", "timeout": 60, "max_retries": 4}',
    },
}

#: Extra fields of the connection form (stored in the connection's extra).
CONN_FIELDS: dict[str, Any] = {
    "key_path": {
        "label": "Service-account key file",
        "description": "Path of a JSON key file on the workers. Leave empty with an API key or ADC.",
        "schema": {"type": ["string", "null"]},
    },
    "keyfile_dict": {
        "label": "Service-account key JSON",
        "description": "The whole JSON key file's content (stored as a secret).",
        "schema": {"type": ["string", "null"], "format": "password"},
    },
    "scopes": {
        "label": "OAuth scopes",
        "description": "Comma-separated; default generative-language.tuning and cloud-platform.",
        "schema": {"type": ["string", "null"]},
    },
    "quota_project_id": {
        "label": "Quota project",
        "description": "Project billed for quota (sent as x-goog-user-project) with OAuth.",
        "schema": {"type": ["string", "null"]},
    },
    "api_version": {
        "label": "API version",
        "schema": {"type": ["string", "null"], "default": "v1beta"},
    },
    "timeout": {
        "label": "Request timeout (seconds)",
        "schema": {"type": ["number", "null"], "default": 60},
    },
    "max_retries": {
        "label": "Retries of safe-to-repeat calls",
        "schema": {"type": ["integer", "null"], "default": 4},
    },
    "retry_max_wait": {
        "label": "Longest single backoff (seconds)",
        "schema": {"type": ["number", "null"], "default": 60},
    },
    "retry_total_timeout": {
        "label": "Give up retrying after (seconds)",
        "schema": {"type": ["number", "null"], "default": 300},
    },
    "max_concurrent_requests": {
        "label": "Requests in flight at once",
        "description": (
            "Per client (one per task, one per connection in a triggerer); also the number "
            "of kept-alive connections. Leave empty for the provider's default."
        ),
        "schema": {"type": ["integer", "null"], "minimum": 1},
    },
}

_PACKAGE = "airflow_provider_tunedmodels"
_INTEGRATION = "Gemini API tuned models"


def get_provider_info() -> dict[str, Any]:
    """The provider's metadata: name, version, connection type, and its classes."""
    return {
        "package-name": "airflow-provider-tunedmodels",
        "name": "Tuned Models (Gemini API)",
        "description": "Tune, evaluate, share and serve models with Google's tuning REST APIs.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://ai.google.dev/api/tuning",
                "tags": ["ai", "gcp"],
            }
        ],
        "hooks": [
            {"integration-name": _INTEGRATION, "python-modules": [f"{_PACKAGE}.hooks.tuned_models"]}
        ],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PACKAGE}.operators.tuned_model",
                    f"{_PACKAGE}.operators.permissions",
                    f"{_PACKAGE}.operators.generate",
                    f"{_PACKAGE}.operators.evaluate",
                    f"{_PACKAGE}.operators.dataset",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [f"{_PACKAGE}.sensors.tuned_model"],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [f"{_PACKAGE}.triggers.tuned_model"],
            }
        ],
        "extra-links": [f"{_PACKAGE}.links.TunedModelLink"],
        "asset-uris": [
            {"schemes": ["gemini-tuned-model"], "handler": f"{_PACKAGE}.assets.normalize_uri"}
        ],
        "connection-types": [
            {
                "hook-class-name": f"{_PACKAGE}.hooks.tuned_models.GeminiTunedModelsHook",
                "connection-type": "gemini_tuned_models",
                "hook-name": "Gemini API (tuned models)",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
    }
