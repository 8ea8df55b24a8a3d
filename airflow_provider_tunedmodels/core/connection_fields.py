"""Read an Airflow connection's fields, and refuse the ones that would be silently ignored.

A field the provider does not read is a trap: an API key typed into *Login*, or
an extra key spelled ``keypath``, is dropped without a word and the next error
blames something else (missing Application Default Credentials). So every field
is checked before the first call, and an error names the field as the
connection form labels it, never its value.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_tunedmodels.core.connection_defaults import FIELD_LABELS, ConnectionDefaults
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.secrets import mask_secret

__all__ = ["ConnectionExtras", "api_key_of", "base_url_of", "check_unused_fields"]


def label(name: str) -> str:
    """The connection form's label of an extra, e.g. ``Service-account key JSON``."""
    return FIELD_LABELS.get(name, name)


def check_unused_fields(conn: Any, source: str) -> None:
    """Refuse a *Login*: nothing reads it, so an API key put there would be lost."""
    if (getattr(conn, "login", None) or "").strip():
        raise ConfigurationError(
            f"{source}: Login is set, but this connection type does not read it. Put an API "
            "key in the API key field (in a connection URI, as the password: "
            "scheme://:KEY@host) and leave Login empty."
        )


def api_key_of(conn: Any, extras: ConnectionExtras, source: str) -> str | None:
    """The API key: the form's *API key* field (extra ``api_key``), or the password.

    Older connections keep the key in the password; both places may hold it only
    if they agree.
    """
    from_extra = extras.text("api_key")
    from_password = (getattr(conn, "password", None) or "").strip() or None
    mask_secret(from_extra)
    mask_secret(from_password)
    if from_extra and from_password and from_extra != from_password:
        raise ConfigurationError(
            f"{source}: two different API keys are set, in the API key field and in the "
            "password; keep one"
        )
    return from_extra or from_password


def base_url_of(conn: Any, source: str) -> str:
    """The connection's Base URL with its port, or ``""`` when it names none."""
    host = (getattr(conn, "host", None) or "").strip()
    port = getattr(conn, "port", None) or None
    if not host:
        return ""
    if "://" not in host:
        schema = getattr(conn, "schema", None)
        scheme = schema if schema in ("http", "https") else "https"
        host = f"{scheme}://{host}"
    host = host.rstrip("/")
    if port is None:
        return host
    parts = urlsplit(host)
    try:
        given = parts.port
    except ValueError:
        return host  # not a URL with a valid port: ClientSettings says what is wrong
    if given is None:
        return parts._replace(netloc=f"{parts.netloc}:{port}").geturl()
    if given != int(port):
        raise ConfigurationError(
            f"{source}: Base URL says port {given} but Port says {port}; make them agree, or "
            "leave one of them empty"
        )
    return host


class ConnectionExtras:
    """Typed access to a connection's extra, accepting the form's prefixed keys too.

    :raises ConfigurationError: on creation, if the extra holds keys the backend does
        not read (named with the closest real one; values are never shown).
    """

    def __init__(self, extra: Mapping[str, Any], source: str, defaults: ConnectionDefaults) -> None:
        self._extra = extra
        self._source = source
        self._prefix = defaults.extra_prefix
        self._check_known(defaults.extra_fields)

    def _check_known(self, known: frozenset[str]) -> None:
        unknown = sorted(
            key
            for key, value in self._extra.items()
            if key.removeprefix(self._prefix) not in known and value not in (None, "")
        )
        if not unknown:
            return
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key.removeprefix(self._prefix), known, n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ConfigurationError(
            f"{self._source}: the extra holds {', '.join(hints)}, which this connection type "
            f"does not read; remove or rename them. It reads: {', '.join(sorted(known))}"
        )

    def raw(self, name: str) -> Any:
        for key in (name, f"{self._prefix}{name}"):
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
                f"{self._source}: {label(name)} must be a number, got {value!r}"
            ) from None
        if not number >= 0:
            raise ConfigurationError(f"{self._source}: {label(name)} must not be negative")
        return number

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
                    f"{self._source}: {label('keyfile_dict')} is not valid JSON (line "
                    f"{exc.lineno}, column {exc.colno}); paste the whole service-account key file"
                ) from None
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ConfigurationError(
                f"{self._source}: {label('keyfile_dict')} is not a service-account key "
                '(expected a JSON object with "type": "service_account")'
            )
        mask_secret(info.get("private_key"))
        return info
