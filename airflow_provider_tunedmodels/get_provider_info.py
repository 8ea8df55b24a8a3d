"""Provider metadata Airflow reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels import __version__
from airflow_provider_tunedmodels.connection_form import (
    GEMINI_CONNECTION,
    conn_fields,
    ui_field_behaviour,
)

__all__ = ["CONN_FIELDS", "UI_FIELD_BEHAVIOUR", "get_provider_info"]

#: How the standard connection form fields are shown for a Gemini connection.
UI_FIELD_BEHAVIOUR: dict[str, Any] = ui_field_behaviour(GEMINI_CONNECTION)

#: Extra fields of the Gemini connection form (stored in the connection's extra).
CONN_FIELDS: dict[str, Any] = conn_fields(GEMINI_CONNECTION)

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
                "python-modules": [f"{_PACKAGE}.hooks.base", f"{_PACKAGE}.hooks.gemini"],
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
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PACKAGE}.sensors.tuning_job",
                    f"{_PACKAGE}.sensors.tuned_model",
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
        "extra-links": [f"{_PACKAGE}.links.TunedModelLink"],
        "asset-uris": [
            {"schemes": ["gemini-tuned-model"], "handler": f"{_PACKAGE}.assets.normalize_uri"}
        ],
        "connection-types": [
            {
                "hook-class-name": f"{_PACKAGE}.hooks.gemini.GeminiTunedModelsHook",
                "connection-type": "gemini_tuned_models",
                "hook-name": "Gemini API (tuned models)",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
    }
