"""Authentication strategies: an API key, or google-auth credentials.

An API key travels in the ``x-goog-api-key`` header, never in the URL. Google
credentials (Application Default Credentials or a service-account key) are
refreshed through google-auth before they expire; the token request goes over
httpx, and the async path refreshes in a worker thread so the event loop never
blocks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from airflow_provider_tunedmodels.core.errors import AuthenticationError, ConfigurationError
from airflow_provider_tunedmodels.core.secrets import REDACTED, mask_secret, redact

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["ApiKeyAuth", "Auth", "GoogleCredentialsAuth", "check_api_key"]


class Auth(Protocol):
    """What the REST clients need from an authentication strategy."""

    def headers(self) -> dict[str, str]:
        """Headers to add to a request, refreshing credentials first if needed (blocking)."""
        ...

    async def aheaders(self) -> dict[str, str]:
        """Same as :meth:`headers`, without blocking the event loop."""
        ...

    def invalidate(self) -> bool:
        """Forget a cached token after a 401; return whether a retry may help."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in logs or exception text."""
        ...


def check_api_key(api_key: str, source: str) -> None:
    """Refuse an API key that cannot travel in a header, before any request is made.

    httpx would fail on such a key while sending, with an error that prints the
    header value; a retry could not help either. The message names the problem
    and where it is, never the key.

    :param api_key: the key, surrounding whitespace already stripped.
    :param source: where the key comes from (e.g. ``connection 'gemini'``).
    """
    problem = _api_key_problem(api_key)
    if problem is not None:
        raise ConfigurationError(
            f"{source}: the API key {problem}; copy the key again from Google AI Studio "
            "into the connection's password field (the key is not shown here)"
        )


def _api_key_problem(api_key: str) -> str | None:
    for position, character in enumerate(api_key, start=1):
        if character in "\r\n":
            return f"contains a line break (character {position})"
        if not character.isascii():
            return f"contains a non-ASCII character (character {position})"
        if not character.isprintable() or character.isspace():
            return f"contains a space or control character (character {position})"
    return None


class ApiKeyAuth:
    """Sends a Gemini API key in the ``x-goog-api-key`` header.

    :param source: where the key comes from (e.g. ``connection 'gemini'``), for messages.
    """

    def __init__(self, api_key: str, *, source: str = "arguments") -> None:
        if not api_key.strip():
            raise ValueError("the API key is empty")
        self._api_key = api_key.strip()
        mask_secret(self._api_key)
        check_api_key(self._api_key, source)

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._api_key}

    async def aheaders(self) -> dict[str, str]:
        return self.headers()

    def invalidate(self) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,)

    def __repr__(self) -> str:
        return f"ApiKeyAuth(api_key='{REDACTED}')"


class GoogleCredentialsAuth:
    """Bearer tokens from google-auth credentials, refreshed before they expire.

    :param factory: builds the credentials on first use (reading a key file or
        discovering Application Default Credentials may block, so it is deferred
        and, on the async path, run in a worker thread).
    :param token_timeout: seconds allowed for one token request.
    :param source: where the credentials come from (e.g. ``connection 'gemini'``), for messages.
    """

    def __init__(
        self,
        factory: Callable[[], Credentials],
        *,
        token_timeout: float = 30.0,
        source: str = "arguments",
    ) -> None:
        self._factory = factory
        self._credentials: Credentials | None = None
        self._lock = threading.Lock()
        self._token_timeout = token_timeout
        self._source = source

    @property
    def credentials(self) -> Credentials:
        """The google-auth credentials, built on first access."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self._factory()
            return self._credentials

    def headers(self) -> dict[str, str]:
        credentials = self.credentials
        with self._lock:
            if not credentials.valid:
                self._refresh(credentials)
            headers: dict[str, str] = {}
            credentials.apply(headers)
            return headers

    async def aheaders(self) -> dict[str, str]:
        credentials = self._credentials
        if credentials is not None and credentials.valid:
            headers: dict[str, str] = {}
            credentials.apply(headers)
            return headers
        return await asyncio.to_thread(self.headers)

    def _refresh(self, credentials: Credentials) -> None:
        """Get a new access token; a refusal becomes :class:`AuthenticationError`."""
        from google.auth.exceptions import RefreshError

        try:
            with httpx.Client(timeout=self._token_timeout) as client:
                credentials.refresh(HttpxAuthRequest(client))
        except RefreshError as exc:
            reason = redact(_first_line(exc), self.secrets())
            raise AuthenticationError(
                f"{self._source}: Google refused to issue an access token for these "
                f"credentials ({reason}). Check that the service account (or the user of "
                "Application Default Credentials) still exists, that its key has not been "
                "deleted or disabled, and that the key's token_uri is the right token endpoint."
            ) from None
        mask_secret(credentials.token)

    def invalidate(self) -> bool:
        with self._lock:
            if self._credentials is None or not self._credentials.token:
                return False
            self._credentials.token = None
            return True

    def secrets(self) -> tuple[str, ...]:
        credentials = self._credentials
        token = getattr(credentials, "token", None) if credentials is not None else None
        return (token,) if token else ()

    def __repr__(self) -> str:
        kind = type(self._credentials).__module__ if self._credentials else "not loaded"
        return f"GoogleCredentialsAuth(credentials={kind}, token='{REDACTED}')"


def _first_line(exc: BaseException) -> str:
    """The first line of a google-auth error, which carries the token endpoint's reason."""
    args = exc.args
    text = str(args[0]) if args else str(exc)
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


class _AuthResponse:
    """google-auth's transport response interface over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxAuthRequest:
    """google-auth's transport request interface (``google.auth.transport.Request``) over httpx.

    google-auth uses this for token exchanges and metadata-server calls; with it the
    provider needs neither ``requests`` nor ``aiohttp``.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _AuthResponse:
        from google.auth import exceptions

        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else self._client.timeout,
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(f"token request to {url} failed: {exc}") from exc
        return _AuthResponse(response)
