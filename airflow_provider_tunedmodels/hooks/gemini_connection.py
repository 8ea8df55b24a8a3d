"""How a ``gemini_tuned_models`` connection reads where it is silent.

Its own light module, because the connection form (read by Airflow with the
provider's metadata) is built from it, and that must not import the hook.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.core.connection_defaults import ConnectionDefaults

__all__ = ["GEMINI_CONNECTION"]

#: The Gemini API's address, version, OAuth scopes and connection-form prefix.
GEMINI_CONNECTION = ConnectionDefaults(
    base_url="https://generativelanguage.googleapis.com",
    api_version="v1beta",
    scopes=(
        "https://www.googleapis.com/auth/generative-language.tuning",
        "https://www.googleapis.com/auth/cloud-platform",
    ),
    extra_prefix="extra__gemini_tuned_models__",
)
