"""Each backend's connection defaults, and its connection form built from them.

Outside ``hooks/``: Airflow reads the form with the provider's metadata whenever
it loads providers, which must not import any hook.

Design, and why:

* **Every way to authenticate sits in one place**, the form's extra fields: API key,
  service-account key file, service-account key JSON, each with one line saying it
  is one choice of three (none means Application Default Credentials). The
  standard *Password* field is hidden; connections that keep their key there
  still work.
* **Port stays visible.** Airflow 3.3's *Test* button in the connection list sends
  a port of 0 for a connection stored without one and then refuses the test as
  "testing a different host or port" (a plain ``generic`` connection fails the same
  way). A stored port makes the button work on every supported version; it also
  completes a Base URL written without one.
* **Nothing is stored that the user did not type.** No field carries a default
  value, which the form would save into every connection's extra and so freeze
  the provider's defaults of that day; each field's help says what empty means.
* Labels match :data:`~airflow_provider_tunedmodels.core.connection_defaults.FIELD_LABELS`,
  which the provider's error messages use too.

A second backend calls :func:`ui_field_behaviour` and :func:`conn_fields` with its
own defaults, adding its extra fields (project, location) through ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_tunedmodels.core.connection_defaults import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_MAX_WAIT,
    DEFAULT_RETRY_TOTAL_TIMEOUT,
    DEFAULT_TIMEOUT,
    FIELD_LABELS,
    ConnectionDefaults,
)

__all__ = ["GEMINI_CONNECTION", "conn_fields", "ui_field_behaviour"]

#: How a ``gemini_tuned_models`` connection reads where it is silent.
GEMINI_CONNECTION = ConnectionDefaults(
    base_url="https://generativelanguage.googleapis.com",
    api_version="v1beta",
    scopes=(
        "https://www.googleapis.com/auth/generative-language.tuning",
        "https://www.googleapis.com/auth/cloud-platform",
    ),
    extra_prefix="extra__gemini_tuned_models__",
)

_TEXT = {"type": ["string", "null"]}
_SECRET = {"type": ["string", "null"], "format": "password"}
_NUMBER = {"type": ["number", "null"], "minimum": 0}
_INTEGER = {"type": ["integer", "null"], "minimum": 0}


def ui_field_behaviour(defaults: ConnectionDefaults) -> dict[str, Any]:
    """Which standard fields the form shows, and what they are called.

    :param defaults: the backend's defaults (its address is what an empty Base URL means).
    """
    del defaults  # every backend's form hides and labels the same standard fields
    return {
        "hidden-fields": ["schema", "login", "password"],
        "relabeling": {"host": "Base URL", "port": "Port"},
        "placeholders": {
            "host": "Empty means Google's address",
            "port": "443, or the emulator's port",
        },
    }


def conn_fields(
    defaults: ConnectionDefaults, *, extra: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The extra fields of the form: the ways to authenticate first, then the tuning knobs.

    :param defaults: the backend's defaults, quoted in the help of each field.
    :param extra: more fields of this backend (name to ``{"description", "schema"}``),
        placed after the ways to authenticate.
    """
    scopes = ", ".join(scope.rsplit("/", 1)[-1] for scope in defaults.scopes)
    fields: dict[str, Any] = {
        "api_key": _field(
            "api_key",
            "Sign in with an API key. Fill only one of API key, key file and key JSON; "
            "leave all three empty to use Application Default Credentials.",
            _SECRET,
        ),
        "key_path": _field(
            "key_path",
            "Or sign in as a service account: the path of its JSON key file on every "
            "machine that runs tasks.",
            _TEXT,
        ),
        "keyfile_dict": _field(
            "keyfile_dict",
            "Or paste the service account's whole JSON key here; it is stored as a secret.",
            _SECRET,
        ),
        "scopes": _field(
            "scopes",
            f"Service accounts and Application Default Credentials only. Empty: {scopes}.",
            _TEXT,
        ),
        "quota_project_id": _field(
            "quota_project_id",
            "Service accounts and Application Default Credentials only: the project billed "
            "for quota.",
            _TEXT,
        ),
    }
    for name, spec in (extra or {}).items():
        fields[name] = _field(name, str(spec["description"]), dict(spec["schema"]))
    fields.update(
        {
            "api_version": _field("api_version", f"Empty: {defaults.api_version}.", _TEXT),
            "timeout": _field(
                "timeout",
                f"How long one request may take. Empty: {DEFAULT_TIMEOUT:g}.",
                _NUMBER,
            ),
            "max_retries": _field(
                "max_retries",
                "How often a call that is safe to repeat is tried again after a passing "
                f"error. Empty: {DEFAULT_MAX_RETRIES}.",
                _INTEGER,
            ),
            "retry_max_wait": _field(
                "retry_max_wait",
                "Waits between tries grow up to this many seconds. "
                f"Empty: {DEFAULT_RETRY_MAX_WAIT:g}.",
                _NUMBER,
            ),
            "retry_total_timeout": _field(
                "retry_total_timeout",
                f"No new try starts after this many seconds. Empty: {DEFAULT_RETRY_TOTAL_TIMEOUT:g}.",
                _NUMBER,
            ),
            "max_concurrent_requests": _field(
                "max_concurrent_requests",
                "Requests one client sends at once (the rest wait their turn), and the "
                f"connections it keeps open. Empty: {DEFAULT_MAX_CONCURRENT_REQUESTS}.",
                _INTEGER,
            ),
        }
    )
    return fields


def _field(name: str, description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"label": FIELD_LABELS[name], "description": description, "schema": dict(schema)}
