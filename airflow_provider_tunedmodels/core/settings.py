"""Client settings, and how they are read from an Airflow connection.

The connection form (see ``get_provider_info``) maps to these fields:

============================  ===========================================================
connection field              meaning
============================  ===========================================================
``password``                  API key (sent as ``x-goog-api-key``)
``host``                      base URL; default ``https://generativelanguage.googleapis.com``
extra ``key_path``            path of a service-account key file (JSON)
extra ``keyfile_dict``        the service-account key JSON itself (a secret)
extra ``scopes``              comma-separated OAuth scopes for Google credentials
extra ``quota_project_id``    project billed for quota (``x-goog-user-project``)
extra ``api_version``         ``v1beta`` by default
extra ``timeout``             seconds per HTTP request (default 60)
extra ``max_retries``         attempts after the first for safe-to-repeat calls (default 4)
extra ``retry_max_wait``      cap of a single backoff, in seconds (default 60)
extra ``retry_total_timeout`` no new attempt after this many seconds (default 300)
extra ``max_concurrent_requests`` requests in flight at once per client, and its kept-alive
                              connections (default 32); more wait their turn
============================  ===========================================================

Exactly one way to authenticate is chosen: an API key if one is set, else a
service-account key (path *or* JSON), else Application Default Credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_tunedmodels.core.auth import (
    ApiKeyAuth,
    Auth,
    GoogleCredentialsAuth,
    check_api_key,
)
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.secrets import REDACTED, mask_secret

__all__ = ["DEFAULT_MAX_CONCURRENT_REQUESTS", "DEFAULT_SCOPES", "ClientSettings"]

#: OAuth scopes requested for Google credentials when the connection names none.
DEFAULT_SCOPES: tuple[str, ...] = (
    "https://www.googleapis.com/auth/generative-language.tuning",
    "https://www.googleapis.com/auth/cloud-platform",
)

#: Requests one client sends at once. Also its connections, all kept alive: enough to keep
#: an evaluation's or a triggerer's requests flowing, few enough that waiting requests stay
#: cheap to schedule (see :mod:`airflow_provider_tunedmodels.core.pool`).
DEFAULT_MAX_CONCURRENT_REQUESTS = 32


@dataclass(frozen=True)
class ClientSettings:
    """Everything a REST client needs; secrets are kept out of ``repr``.

    :param max_concurrent_requests: requests in flight at once per client (the rest
        wait their turn), which is also the number of connections it keeps alive.
    """

    base_url: str
    api_version: str = "v1beta"
    timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    api_key: str | None = field(default=None, repr=False)
    service_account_info: Mapping[str, Any] | None = field(default=None, repr=False)
    key_path: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    quota_project_id: str | None = None
    source: str = "arguments"
    max_concurrent_requests: int = DEFAULT_MAX_CONCURRENT_REQUESTS

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"{self.source}: base URL {self.base_url!r} is not an http(s) URL; set the "
                "connection's host to e.g. https://generativelanguage.googleapis.com"
            )
        if parts.query or "key=" in self.base_url:
            raise ConfigurationError(
                f"{self.source}: the base URL must not carry a query string; put the API key "
                "in the connection's password field, not in the URL"
            )
        given = [
            name
            for name, value in (
                ("an API key", self.api_key),
                ("keyfile_dict", self.service_account_info),
                ("key_path", self.key_path),
            )
            if value
        ]
        if len(given) > 1:
            raise ConfigurationError(
                f"{self.source}: {' and '.join(given)} are both set; keep exactly one way to "
                "authenticate (an API key, or a service-account key as a path or as JSON)"
            )
        if self.timeout <= 0:
            raise ConfigurationError(f"{self.source}: timeout must be positive")
        if self.max_concurrent_requests < 1:
            raise ConfigurationError(
                f"{self.source}: max_concurrent_requests must be at least 1, "
                f"got {self.max_concurrent_requests}"
            )
        if self.api_key:
            check_api_key(self.api_key.strip(), self.source)

    @property
    def root_url(self) -> str:
        """The base URL without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def auth_method(self) -> str:
        """``api_key``, ``service_account`` or ``application_default``."""
        if self.api_key:
            return "api_key"
        if self.service_account_info or self.key_path:
            return "service_account"
        return "application_default"

    def build_auth(self) -> Auth:
        """The authentication strategy these settings describe."""
        if self.api_key:
            return ApiKeyAuth(self.api_key, source=self.source)
        return GoogleCredentialsAuth(
            self._credentials_factory, token_timeout=self.timeout, source=self.source
        )

    def _credentials_factory(self) -> Any:
        import google.auth
        from google.oauth2 import service_account

        try:
            if self.service_account_info is not None:
                credentials = service_account.Credentials.from_service_account_info(
                    dict(self.service_account_info), scopes=list(self.scopes)
                )
            elif self.key_path:
                credentials = service_account.Credentials.from_service_account_file(
                    self.key_path, scopes=list(self.scopes)
                )
            else:
                credentials, _ = google.auth.default(scopes=list(self.scopes))
        except (ValueError, KeyError, OSError, google.auth.exceptions.GoogleAuthError) as exc:
            raise ConfigurationError(
                f"{self.source}: could not load Google credentials ({type(exc).__name__}: "
                f"{_first_line(exc)}); check key_path / keyfile_dict, or set up Application "
                "Default Credentials"
            ) from None
        if self.quota_project_id:
            credentials = credentials.with_quota_project(self.quota_project_id)
        return credentials

    @classmethod
    def from_connection(cls, conn: Any) -> ClientSettings:
        """Read settings from an Airflow ``Connection`` (any object with its attributes)."""
        conn_id = getattr(conn, "conn_id", None) or "?"
        source = f"connection {conn_id!r}"
        extra = _Extras(getattr(conn, "extra_dejson", None) or {}, source)
        api_key = (getattr(conn, "password", None) or "").strip() or None
        mask_secret(api_key)
        host = (getattr(conn, "host", None) or "").strip()
        return cls(
            base_url=_normalise_host(
                host, getattr(conn, "schema", None), getattr(conn, "port", None)
            ),
            api_version=extra.text("api_version") or "v1beta",
            timeout=extra.number("timeout", 60.0),
            retry=RetryPolicy(
                max_attempts=int(extra.number("max_retries", 4)) + 1,
                max_backoff=extra.number("retry_max_wait", 60.0),
                total_timeout=extra.number("retry_total_timeout", 300.0),
            ),
            api_key=api_key,
            service_account_info=extra.keyfile_dict(),
            key_path=extra.text("key_path"),
            scopes=extra.scopes() or DEFAULT_SCOPES,
            quota_project_id=extra.text("quota_project_id"),
            source=source,
            max_concurrent_requests=extra.whole_number(
                "max_concurrent_requests", DEFAULT_MAX_CONCURRENT_REQUESTS
            ),
        )

    def describe(self) -> str:
        """A one-line, secret-free summary for logs."""
        return (
            f"{self.root_url}/{self.api_version} ({self.auth_method}"
            f"{', quota project ' + self.quota_project_id if self.quota_project_id else ''})"
        )

    def __str__(self) -> str:
        return f"ClientSettings({self.describe()}, api_key={REDACTED if self.api_key else None})"


def _normalise_host(host: str, schema: str | None, port: int | None) -> str:
    if not host:
        return "https://generativelanguage.googleapis.com"
    if "://" not in host:
        scheme = schema if schema in ("http", "https") else "https"
        host = f"{scheme}://{host}"
        if port:
            host = f"{host}:{port}"
    return host.rstrip("/")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


class _Extras:
    """Typed access to a connection's extra, accepting UI-prefixed keys too."""

    def __init__(self, extra: Mapping[str, Any], source: str) -> None:
        self._extra = extra
        self._source = source

    def raw(self, name: str) -> Any:
        for key in (name, f"extra__gemini_tuned_models__{name}"):
            value = self._extra.get(key)
            if value not in (None, ""):
                return value
        return None

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        return str(value).strip() or None if value is not None else None

    def number(self, name: str, default: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"{self._source}: extra {name!r} must be a number, got {value!r}"
            ) from None
        if number < 0:
            raise ConfigurationError(f"{self._source}: extra {name!r} must not be negative")
        return number

    def whole_number(self, name: str, default: int) -> int:
        number = self.number(name, default)
        if number != int(number):
            raise ConfigurationError(
                f"{self._source}: extra {name!r} must be a whole number, got {self.raw(name)!r}"
            )
        return int(number)

    def scopes(self) -> tuple[str, ...]:
        value = self.raw("scopes")
        if value is None:
            return ()
        items: Sequence[str] = value if isinstance(value, list) else str(value).split(",")
        return tuple(s.strip() for s in items if s.strip())

    def keyfile_dict(self) -> Mapping[str, Any] | None:
        value = self.raw("keyfile_dict")
        if value is None:
            return None
        if isinstance(value, Mapping):
            info = dict(value)
        else:
            try:
                info = json.loads(str(value))
            except json.JSONDecodeError as exc:
                raise ConfigurationError(
                    f"{self._source}: extra 'keyfile_dict' is not valid JSON (line {exc.lineno}, "
                    f"column {exc.colno}); paste the whole service-account key file"
                ) from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ConfigurationError(
                f"{self._source}: extra 'keyfile_dict' is not a service-account key "
                '(expected a JSON object with "type": "service_account")'
            )
        mask_secret(info.get("private_key"))
        return info
