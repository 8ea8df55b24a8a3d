"""What a backend's connection means where it is silent, and what each of its fields is called.

Kept free of heavy imports: Airflow reads the connection form (built from
these) whenever it loads the provider's metadata, and the connection test
messages use the same labels as the form, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AUTH_FIELDS",
    "COMMON_EXTRA_FIELDS",
    "CONNECTION_TEST_TIMEOUT",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_MAX_WAIT",
    "DEFAULT_RETRY_TOTAL_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "FIELD_LABELS",
    "ConnectionDefaults",
]

#: Seconds per HTTP request when the connection does not say.
DEFAULT_TIMEOUT = 60.0
#: Longest a connection test waits for the server, in seconds (it makes one attempt).
CONNECTION_TEST_TIMEOUT = 10.0
#: Retries (after the first attempt) of a call that is safe to repeat.
DEFAULT_MAX_RETRIES = 4
#: Longest single wait between two attempts, in seconds.
DEFAULT_RETRY_MAX_WAIT = 60.0
#: No new attempt starts after this many seconds.
DEFAULT_RETRY_TOTAL_TIMEOUT = 300.0
#: Requests one client sends at once. Also its connections, all kept alive: enough to keep
#: an evaluation's or a triggerer's requests flowing, few enough that waiting requests stay
#: cheap to schedule (see :mod:`airflow_provider_tunedmodels.core.pool`).
DEFAULT_MAX_CONCURRENT_REQUESTS = 32

#: What the connection form calls each field a connection's extra may hold.
FIELD_LABELS = {
    "api_key": "API key",
    "key_path": "Service-account key file",
    "keyfile_dict": "Service-account key JSON",
    "scopes": "OAuth scopes",
    "quota_project_id": "Quota project",
    "project": "Project",
    "location": "Location",
    "api_version": "API version",
    "timeout": "Request timeout (seconds)",
    "max_retries": "Retries",
    "retry_max_wait": "Longest wait between retries (seconds)",
    "retry_total_timeout": "Give up retrying after (seconds)",
    "max_concurrent_requests": "Requests at once",
}
#: The ways to authenticate, of which a connection fills at most one.
AUTH_FIELDS = ("api_key", "key_path", "keyfile_dict")
#: The extras every backend reads (a backend that addresses projects adds project and location).
COMMON_EXTRA_FIELDS = frozenset(FIELD_LABELS) - {"project", "location"}


@dataclass(frozen=True)
class ConnectionDefaults:
    """What a backend assumes where its connection is silent.

    :param base_url: the API's address.
    :param api_version: the path segment after the base URL, e.g. ``v1beta``.
    :param scopes: OAuth scopes requested for Google credentials.
    :param extra_prefix: the prefix Airflow's connection form gives extras
        (``extra__<conn_type>__``); keys are read with and without it.
    :param extra_fields: the extras this backend reads; any other key is refused
        as a likely misspelling, since it would be silently ignored.
    """

    base_url: str
    api_version: str
    scopes: tuple[str, ...]
    extra_prefix: str
    extra_fields: frozenset[str] = COMMON_EXTRA_FIELDS
