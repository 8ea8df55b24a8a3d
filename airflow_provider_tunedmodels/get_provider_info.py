"""Provider metadata Airflow reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels import __version__
from airflow_provider_tunedmodels.connection_form import (
    GEMINI_CONNECTION,
    conn_fields,
    ui_field_behaviour,
)
from airflow_provider_tunedmodels.defaults import VERTEX_LOCATION

__all__ = [
    "CONN_FIELDS",
    "UI_FIELD_BEHAVIOUR",
    "VERTEX_CONN_FIELDS",
    "VERTEX_UI_FIELD_BEHAVIOUR",
    "get_provider_info",
]

#: How the standard connection form fields are shown for a Gemini connection.
UI_FIELD_BEHAVIOUR: dict[str, Any] = ui_field_behaviour(GEMINI_CONNECTION)

#: Extra fields of the Gemini connection form (stored in the connection's extra).
CONN_FIELDS: dict[str, Any] = conn_fields(GEMINI_CONNECTION)

#: How the generic connection form fields are shown for a ``vertex_ai_tuning`` connection.
VERTEX_UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    # Port stays visible: Airflow 3.3's Test button refuses a connection stored without one.
    "hidden-fields": ["schema", "login", "password"],
    "relabeling": {"host": "Base URL (optional)"},
    "placeholders": {
        "host": "empty for Google's host of the location; http://127.0.0.1:8089 for an emulator",
        "extra": '{"project": "my-project", "location": "us-central1", "api_version": "v1"}',
    },
}
#: Extra fields of the ``vertex_ai_tuning`` form: the OAuth ones shared with Gemini, then its own.
VERTEX_CONN_FIELDS: dict[str, Any] = {
    **{
        name: CONN_FIELDS[name]
        for name in ("key_path", "keyfile_dict", "quota_project_id", "timeout", "max_retries")
    },
    "api_version": {
        "label": "API version",
        "description": "Empty means v1; v1beta1 for preview fields.",
        "schema": {"type": ["string", "null"]},
    },
    "project": {
        "label": "Project",
        "description": "Project id or number; empty uses the service-account key's project.",
        "schema": {"type": ["string", "null"]},
    },
    "location": {
        "label": "Location",
        "description": f"Region of the tuning jobs, or global, us, eu; empty means {VERTEX_LOCATION}.",
        "schema": {"type": ["string", "null"]},
    },
    "impersonation_chain": {
        "label": "Impersonation chain",
        "description": "Service account(s) to impersonate, comma-separated; the last one acts.",
        "schema": {"type": ["string", "null"]},
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
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PACKAGE}.hooks.base",
                    f"{_PACKAGE}.hooks.gemini",
                    f"{_PACKAGE}.hooks.vertex_ai",
                ],
            }
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
                    f"{_PACKAGE}.operators.vertex_tuning",
                    f"{_PACKAGE}.operators.vertex_models",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PACKAGE}.sensors.tuning_job",
                    f"{_PACKAGE}.sensors.tuned_model",
                    f"{_PACKAGE}.sensors.vertex_tuning",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                # tuned_model holds the 0.1.0 class path of deferred tasks stored then.
                "python-modules": [
                    f"{_PACKAGE}.triggers.tuning_job",
                    f"{_PACKAGE}.triggers.tuned_model",
                ],
            }
        ],
        "extra-links": [f"{_PACKAGE}.links.TunedModelLink", f"{_PACKAGE}.links.TuningJobLink"],
        "asset-uris": [
            {
                "schemes": ["gemini-tuned-model", "vertex-tuned-model"],
                "handler": f"{_PACKAGE}.assets.normalize_uri",
            }
        ],
        "connection-types": [
            {
                "hook-class-name": f"{_PACKAGE}.hooks.gemini.GeminiTunedModelsHook",
                "connection-type": "gemini_tuned_models",
                "hook-name": "Gemini API (tuned models)",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            },
            {
                "hook-class-name": f"{_PACKAGE}.hooks.vertex_ai.VertexTuningJobsHook",
                "connection-type": "vertex_ai_tuning",
                "hook-name": "Vertex AI (tuning jobs)",
                "ui-field-behaviour": VERTEX_UI_FIELD_BEHAVIOUR,
                "conn-fields": VERTEX_CONN_FIELDS,
            },
        ],
    }
