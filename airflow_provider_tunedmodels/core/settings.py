"""Client settings, and how they are read from an Airflow connection.

This module knows no particular API: each backend hook passes its
:class:`ConnectionDefaults` (default host, API version, OAuth scopes, the prefix
its connection form gives extras). The connection maps to these fields:

============================  ===========================================================
connection field              meaning
============================  ===========================================================
extra ``api_key``             API key (sent as ``x-goog-api-key``), where the API takes one;
                              ``password`` is read too (older connections keep it there)
``host``                      base URL; empty means the backend's default address
``port``                      the base URL's port, when the host does not name one
extra ``key_path``            path of a service-account key file (JSON)
extra ``keyfile_dict``        the service-account key JSON itself (a secret)
extra ``scopes``              comma-separated OAuth scopes for Google credentials
extra ``quota_project_id``    project billed for quota (``x-goog-user-project``)
extra ``project``             Google Cloud project (backends that address projects)
extra ``location``            region, ``global``, ``us`` or ``eu`` (same)
extra ``api_version``         the backend's default when unset
extra ``timeout``             seconds per HTTP request (default 60)
extra ``max_retries``         attempts after the first for safe-to-repeat calls (default 4)
extra ``retry_max_wait``      cap of a single backoff, in seconds (default 60)
extra ``retry_total_timeout`` no new attempt after this many seconds (default 300)
extra ``max_concurrent_requests`` requests in flight at once per client, and its kept-alive
                              connections (default 32); more wait their turn
============================  ===========================================================

At most one way to authenticate may be filled: an API key, a service-account
key file or a service-account key JSON; with none, Application Default
Credentials are used. Any other field (*Login*, an extra key the backend does
not read) is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_tunedmodels.core.auth import (
    ApiKeyAuth,
    Auth,
    GoogleCredentialsAuth,
    check_api_key,
)
from airflow_provider_tunedmodels.core.connection_defaults import (
    CONNECTION_TEST_TIMEOUT,
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_MAX_WAIT,
    DEFAULT_RETRY_TOTAL_TIMEOUT,
    DEFAULT_TIMEOUT,
    ConnectionDefaults,
)
from airflow_provider_tunedmodels.core.connection_fields import (
    ConnectionExtras,
    api_key_of,
    base_url_of,
    check_unused_fields,
    label,
)
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.secrets import REDACTED

__all__ = [
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_TIMEOUT",
    "ClientSettings",
    "ConnectionDefaults",
]

#: How the summary of a connection names each way to authenticate.
_AUTH_DESCRIPTIONS = {
    "api_key": "an API key",
    "service_account": "a service-account key",
    "application_default": "Application Default Credentials",
}


@dataclass(frozen=True)
class ClientSettings:
    """Everything a REST client needs; secrets are kept out of ``repr``.

    :param max_concurrent_requests: requests in flight at once per client (the rest
        wait their turn), which is also the number of connections it keeps alive.
    """

    base_url: str
    api_version: str = ""
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    api_key: str | None = field(default=None, repr=False)
    service_account_info: Mapping[str, Any] | None = field(default=None, repr=False)
    key_path: str | None = None
    scopes: tuple[str, ...] = ()
    quota_project_id: str | None = None
    project: str | None = None
    location: str | None = None
    #: Service accounts to impersonate in turn; the last one's token is used.
    impersonation_chain: tuple[str, ...] = ()
    source: str = "arguments"
    max_concurrent_requests: int = DEFAULT_MAX_CONCURRENT_REQUESTS

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"{self.source}: Base URL {self.base_url!r} is not an http(s) URL; set it to an "
                "http(s) URL, or leave it empty for Google's address"
            )
        if parts.query or "key=" in self.base_url:
            raise ConfigurationError(
                f"{self.source}: the Base URL must not carry a query string; put the API key "
                "in the API key field, not in the URL"
            )
        given = [
            label(name)
            for name, value in (
                ("api_key", self.api_key),
                ("key_path", self.key_path),
                ("keyfile_dict", self.service_account_info),
            )
            if value
        ]
        if len(given) > 1:
            raise ConfigurationError(
                f"{self.source}: {' and '.join(given)} are both set; keep exactly one way to "
                "authenticate: an API key, a service-account key file, or a service-account "
                "key JSON (or none of them, for Application Default Credentials)"
            )
        if self.timeout <= 0:
            raise ConfigurationError(f"{self.source}: {label('timeout')} must be positive")
        if self.max_concurrent_requests < 1:
            raise ConfigurationError(
                f"{self.source}: {label('max_concurrent_requests')} must be at least 1, "
                f"got {self.max_concurrent_requests}"
            )
        if self.api_key:
            check_api_key(self.api_key.strip(), self.source)

    def with_defaults(self, defaults: ConnectionDefaults) -> ClientSettings:
        """These settings, with the backend's API version and scopes where none were given."""
        return replace(
            self,
            api_version=self.api_version or defaults.api_version,
            scopes=self.scopes or defaults.scopes,
        )

    def for_connection_test(self) -> ClientSettings:
        """These settings for a connection test: one attempt, and a short timeout."""
        return replace(
            self,
            retry=RetryPolicy(max_attempts=1),
            timeout=min(self.timeout, CONNECTION_TEST_TIMEOUT),
        )

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
                f"{_first_line(exc)}); {self._credentials_advice()}"
            ) from None
        if self.impersonation_chain:
            credentials = _impersonate(credentials, self.impersonation_chain, self.scopes)
        if self.quota_project_id:
            credentials = credentials.with_quota_project(self.quota_project_id)
        return credentials

    def _credentials_advice(self) -> str:
        """What to check, in the connection form's words, for the credentials in use."""
        if self.service_account_info is not None:
            return f"check the {label('keyfile_dict')}"
        if self.key_path:
            return (
                f"check the {label('key_path')}: it must exist and be readable on the machine "
                "that runs this"
            )
        return (
            f"no {label('api_key')}, {label('key_path')} or {label('keyfile_dict')} is set, "
            "so Application Default Credentials were tried: fill one of those fields, or set "
            "up Application Default Credentials on the machine that runs this"
        )

    @classmethod
    def from_connection(cls, conn: Any, defaults: ConnectionDefaults) -> ClientSettings:
        """Read settings from an Airflow ``Connection`` (any object with its attributes).

        :raises ConfigurationError: a field is set that nothing reads, or a field's value
            cannot work; the error names the field as the connection form labels it.
        """
        conn_id = getattr(conn, "conn_id", None) or "?"
        source = f"connection {conn_id!r}"
        extra = ConnectionExtras(getattr(conn, "extra_dejson", None) or {}, source, defaults)
        check_unused_fields(conn, source)
        return cls(
            base_url=base_url_of(conn, source) or defaults.base_url,
            api_version=extra.text("api_version") or defaults.api_version,
            timeout=extra.number("timeout", DEFAULT_TIMEOUT),
            retry=RetryPolicy(
                max_attempts=int(extra.number("max_retries", DEFAULT_MAX_RETRIES)) + 1,
                max_backoff=extra.number("retry_max_wait", DEFAULT_RETRY_MAX_WAIT),
                total_timeout=extra.number("retry_total_timeout", DEFAULT_RETRY_TOTAL_TIMEOUT),
            ),
            api_key=api_key_of(conn, extra, source),
            service_account_info=extra.keyfile_dict(),
            key_path=extra.text("key_path"),
            scopes=extra.scopes() or defaults.scopes,
            quota_project_id=extra.text("quota_project_id"),
            project=extra.text("project"),
            location=extra.text("location"),
            source=source,
            max_concurrent_requests=_whole(
                extra.number("max_concurrent_requests", DEFAULT_MAX_CONCURRENT_REQUESTS),
                "max_concurrent_requests",
                source,
            ),
        )

    def describe(self) -> str:
        """A one-line, secret-free summary for logs."""
        quota = f", quota project {self.quota_project_id}" if self.quota_project_id else ""
        return (
            f"{self.root_url}/{self.api_version} (with "
            f"{_AUTH_DESCRIPTIONS[self.auth_method]}{quota})"
        )

    def __str__(self) -> str:
        return f"ClientSettings({self.describe()}, api_key={REDACTED if self.api_key else None})"


def _whole(value: float, name: str, source: str) -> int:
    if not float(value).is_integer():
        raise ConfigurationError(f"{source}: {label(name)} must be a whole number, got {value:g}")
    return int(value)


def _impersonate(source: Any, chain: tuple[str, ...], scopes: tuple[str, ...]) -> Any:
    """Credentials of the chain's last service account, reached through the others."""
    from google.auth import impersonated_credentials

    return impersonated_credentials.Credentials(
        source_credentials=source,
        target_principal=chain[-1],
        delegates=list(chain[:-1]) or None,
        target_scopes=list(scopes),
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
