"""Reading an Airflow connection for Vertex AI: OAuth only, a project, a location.

Two connection types work:

* ``vertex_ai_tuning``, this provider's own;
* ``google_cloud_platform``, the Google provider's, read as it is (that provider
  is not imported): extras ``project``, ``key_path``, ``keyfile_dict``, ``scope``
  or ``scopes``, ``impersonation_chain``, plain or with the form's
  ``extra__google_cloud_platform__`` prefix.

============================  ===========================================================
connection field              meaning
============================  ===========================================================
``host``                      base URL override (an emulator, a private endpoint); empty
                              means Google's host for the location (see :func:`vertex_host`)
``password``                  must be empty: Vertex AI does not take API keys
extra ``project``             project id or number (else the key file's ``project_id``,
                              else Application Default Credentials' project)
extra ``location``            region, ``global``, ``us`` or ``eu``; default ``us-central1``
extra ``api_version``         ``v1`` (default) or ``v1beta1``
extra ``impersonation_chain`` service account(s) to impersonate, comma-separated or a list
============================  ===========================================================

Credentials, scopes, quota project, timeout and retries are read as for every
connection (see :mod:`airflow_provider_tunedmodels.core.settings`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from airflow_provider_tunedmodels.core.connection_defaults import COMMON_EXTRA_FIELDS
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.settings import ClientSettings, ConnectionDefaults
from airflow_provider_tunedmodels.defaults import VERTEX_LOCATION
from airflow_provider_tunedmodels.get_provider_info import (
    VERTEX_CONN_FIELDS,
    VERTEX_UI_FIELD_BEHAVIOUR,
)
from airflow_provider_tunedmodels.models.vertex.operation import API_VERSIONS

__all__ = [
    "DEFAULT_API_VERSION",
    "DEFAULT_LOCATION",
    "GOOGLE_CLOUD_CONN_TYPE",
    "VERTEX_CONNECTION",
    "VERTEX_CONN_FIELDS",
    "VERTEX_CONN_TYPE",
    "VERTEX_SCOPES",
    "VERTEX_UI_FIELD_BEHAVIOUR",
    "vertex_host",
    "vertex_settings",
]

#: This provider's connection type for Vertex AI tuning.
VERTEX_CONN_TYPE = "vertex_ai_tuning"
#: The Google provider's connection type, accepted as it is.
GOOGLE_CLOUD_CONN_TYPE = "google_cloud_platform"
#: Where tuning jobs run when the connection names no location.
DEFAULT_LOCATION = VERTEX_LOCATION
#: The stable API; ``v1beta1`` adds distillation, reinforcement and open-model tuning.
DEFAULT_API_VERSION = "v1"
#: The only OAuth scope Vertex AI accepts.
VERTEX_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/cloud-platform",)


def vertex_host(location: str) -> str:
    """Google's address for ``location``: regional, global, or a multi-region ``rep`` host."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in ("us", "eu"):
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


#: How a Vertex AI connection reads where it is silent (the host follows the location).
VERTEX_CONNECTION = ConnectionDefaults(
    base_url=vertex_host(DEFAULT_LOCATION),
    api_version=DEFAULT_API_VERSION,
    scopes=VERTEX_SCOPES,
    extra_prefix=f"extra__{VERTEX_CONN_TYPE}__",
    extra_fields=(COMMON_EXTRA_FIELDS - {"api_key"})
    | {"project", "location", "impersonation_chain", "storage_url"},
)
_PREFIXES = ("", f"extra__{VERTEX_CONN_TYPE}__", f"extra__{GOOGLE_CLOUD_CONN_TYPE}__")
_EXTRAS = (
    "project",
    "location",
    "api_version",
    "key_path",
    "keyfile_dict",
    "scopes",
    "quota_project_id",
    "impersonation_chain",
    "timeout",
    "max_retries",
    "retry_max_wait",
    "retry_total_timeout",
)
# Google provider extras that name credential sources this provider does not read.
_UNSUPPORTED = ("key_secret_name", "credential_config_file", "is_anonymous")
_LOCATION = re.compile(r"[a-z][a-z0-9-]*")


def vertex_settings(conn: Any) -> ClientSettings:
    """Client settings for Vertex AI from an Airflow ``Connection`` (or any look-alike)."""
    source = f"connection {getattr(conn, 'conn_id', None) or '?'!r}"
    if (getattr(conn, "password", None) or "").strip():
        raise ConfigurationError(
            f"{source}: has a password (an API key); Vertex AI tuning does not accept API keys "
            "(it answers 404 or 401 to them). Clear the password and authenticate with a "
            "service-account key (key_path or keyfile_dict), impersonation_chain, or "
            "Application Default Credentials"
        )
    extras = _flatten(getattr(conn, "extra_dejson", None) or {}, source)
    location = str(extras.get("location") or DEFAULT_LOCATION).strip()
    if not _LOCATION.fullmatch(location):
        raise ConfigurationError(
            f"{source}: location {location!r} is not a location id; use e.g. us-central1, "
            "europe-west4, global, us or eu"
        )
    api_version = str(extras.get("api_version") or DEFAULT_API_VERSION).strip()
    if api_version not in API_VERSIONS:
        raise ConfigurationError(
            f"{source}: api_version {api_version!r} is not one of {', '.join(API_VERSIONS)}"
        )
    extras["api_version"] = api_version
    host = (getattr(conn, "host", None) or "").strip() or vertex_host(location)
    shim = SimpleNamespace(
        conn_id=getattr(conn, "conn_id", None),
        host=host,
        schema=getattr(conn, "schema", None),
        port=getattr(conn, "port", None),
        password=None,
        extra_dejson=extras,
    )
    settings = ClientSettings.from_connection(shim, VERTEX_CONNECTION)
    return replace(
        settings,
        project=_project(extras, settings),
        location=location,
        impersonation_chain=_chain(extras.get("impersonation_chain"), source),
    )


def _flatten(extra: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The extras this module reads, under their plain names, whichever prefix they carry."""
    for name in _UNSUPPORTED:
        if any(extra.get(f"{prefix}{name}") not in (None, "", False) for prefix in _PREFIXES):
            raise ConfigurationError(
                f"{source}: extra {name!r} is not supported for Vertex AI tuning; use key_path, "
                "keyfile_dict, impersonation_chain or Application Default Credentials"
            )
    flat: dict[str, Any] = {}
    for name in _EXTRAS:
        for key in (name, *(f"{p}{name}" for p in _PREFIXES[1:])):
            if extra.get(key) not in (None, ""):
                flat[name] = extra[key]
                break
    if "scopes" not in flat:
        for key in (f"{p}scope" for p in _PREFIXES):
            if extra.get(key) not in (None, ""):
                flat["scopes"] = extra[key]
                break
    return flat


def _project(extras: Mapping[str, Any], settings: ClientSettings) -> str | None:
    """The extra ``project``, else the service-account key's ``project_id``."""
    if extras.get("project"):
        return str(extras["project"]).strip()
    info = settings.service_account_info
    if info is None and settings.key_path:
        try:
            with open(settings.key_path, encoding="utf-8") as handle:
                info = json.load(handle)
        except (OSError, ValueError):
            return None  # loading the credentials reports an unreadable key file
    value = info.get("project_id") if isinstance(info, Mapping) else None
    return str(value) if value else None


def _chain(value: Any, source: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items: Sequence[Any] = value if isinstance(value, list) else str(value).split(",")
    chain = tuple(str(item).strip() for item in items if str(item).strip())
    bad = [item for item in chain if "@" not in item]
    if bad:
        raise ConfigurationError(
            f"{source}: impersonation_chain holds {', '.join(map(repr, bad))}; give service "
            "account emails (name@project.iam.gserviceaccount.com)"
        )
    return chain
