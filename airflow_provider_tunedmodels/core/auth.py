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

from airflow_provider_tunedmodels.core.secrets import REDACTED, mask_secret

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["ApiKeyAuth", "Auth", "GoogleCredentialsAuth"]


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


class ApiKeyAuth:
    """Sends a Gemini API key in the ``x-goog-api-key`` header."""

    def __init__(self, api_key: str) -> None:
        if not api_key.strip():
            raise ValueError("the API key is empty")
        self._api_key = api_key.strip()
        mask_secret(self._api_key)

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
    """

    def __init__(self, factory: Callable[[], Credentials], *, token_timeout: float = 30.0) -> None:
        self._factory = factory
        self._credentials: Credentials | None = None
        self._lock = threading.Lock()
        self._token_timeout = token_timeout

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
                with httpx.Client(timeout=self._token_timeout) as client:
                    credentials.refresh(HttpxAuthRequest(client))
                mask_secret(credentials.token)
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
