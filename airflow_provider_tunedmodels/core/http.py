"""REST clients: one sync (``httpx.Client``) and one async (``httpx.AsyncClient``), same behaviour.

Each :class:`ApiCall` goes through the same steps in both clients:
authenticate → send → on a retryable failure wait (backoff, jitter,
``Retry-After``) and repeat → on success parse, on failure raise a typed
:class:`~airflow_provider_tunedmodels.core.errors.ApiError`. A ``401`` with
Google credentials drops the cached token and repeats once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import httpx

from airflow_provider_tunedmodels import __version__
from airflow_provider_tunedmodels.core.auth import Auth
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import ApiError, TransportError, api_error_class
from airflow_provider_tunedmodels.core.retry import RetryState, parse_retry_after
from airflow_provider_tunedmodels.core.secrets import redact
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.core.sse import SSEDecoder

__all__ = ["AsyncRestClient", "RestClient"]

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"airflow-provider-tunedmodels/{__version__}"

#: Network errors after which the request certainly did not reach the server.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _RestClientBase:
    """What the sync and async clients share: URLs, headers, retry decisions, errors."""

    def __init__(self, settings: ClientSettings, auth: Auth | None = None) -> None:
        self.settings = settings
        self.auth = auth if auth is not None else settings.build_auth()

    def url(self, call: ApiCall[Any]) -> str:
        """The absolute URL of ``call``, without its query string (safe to show)."""
        if call.url is not None:
            return call.url.partition("?")[0]
        version = call.api_version or self.settings.api_version
        root = call.base_url.rstrip("/") if call.base_url else self.settings.root_url
        return f"{root}/{version}/{call.path.lstrip('/')}"

    def _base_headers(self) -> dict[str, str]:
        return {"user-agent": USER_AGENT, "accept": "application/json"}

    def _new_state(self, call: ApiCall[Any]) -> RetryState:
        return RetryState(self.settings.retry, idempotent=call.idempotent)

    def _wait_after_network_error(
        self, call: ApiCall[Any], state: RetryState, exc: httpx.HTTPError
    ) -> float:
        """Seconds to wait before repeating, or raise :class:`TransportError`."""
        sent = not isinstance(exc, _NOT_SENT_ERRORS)
        delay = state.delay_after_network_error(request_sent=sent)
        if delay is None:
            raise self._transport_error(call, exc, state) from None
        self._log_retry(call, type(exc).__name__, delay, state)
        return delay

    def _wait_after_error_status(
        self, call: ApiCall[Any], state: RetryState, response: httpx.Response
    ) -> float:
        """Seconds to wait before repeating, or raise the typed :class:`ApiError`."""
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        delay = state.delay_after_status(response.status_code, retry_after)
        if delay is None:
            raise self._api_error(call, response, state)
        self._log_retry(call, f"HTTP {response.status_code}", delay, state)
        return delay

    def _should_refresh(self, response: httpx.Response, state: RetryState) -> bool:
        """A 401 with a cached token: drop it and repeat, once per call."""
        if response.status_code != 401 or state.refreshed_token:
            return False
        state.refreshed_token = self.auth.invalidate()
        return state.refreshed_token

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: ApiCall[Any],
        auth_headers: dict[str, str],
    ) -> httpx.Request:
        headers = {**self._base_headers(), **(call.headers or {}), **auth_headers}
        # httpx would replace an absolute URL's own query with ``params``: merge them first.
        url = httpx.URL(call.url or self.url(call)).copy_merge_params(call.query())
        if call.content is not None:
            return http.build_request(call.method, url, content=call.content, headers=headers)
        return http.build_request(call.method, url, json=call.body, headers=headers)

    @staticmethod
    def _is_answer(call: ApiCall[Any], response: httpx.Response) -> bool:
        return response.is_success or response.status_code in call.expected_statuses

    def _log_retry(self, call: ApiCall[Any], what: str, delay: float, state: RetryState) -> None:
        log.warning(
            "%s %s: %s; attempt %d of %d, retrying in %.2f s",
            call.method,
            self.url(call),
            what,
            state.attempts,
            self.settings.retry.max_attempts,
            delay,
        )

    def _transport_error(
        self, call: ApiCall[Any], exc: httpx.HTTPError, state: RetryState
    ) -> TransportError:
        message = redact(f"{type(exc).__name__}: {exc}", self.auth.secrets())
        return TransportError(
            message, method=call.method, url=self.url(call), attempts=state.attempts
        )

    def _api_error(
        self, call: ApiCall[Any], response: httpx.Response, state: RetryState
    ) -> ApiError:
        secrets = self.auth.secrets()
        status, message, details = _read_envelope(response)
        cls = api_error_class(status, response.status_code)
        return cls(
            http_status=response.status_code,
            status=status or response.reason_phrase.upper().replace(" ", "_"),
            message=redact(message, secrets),
            details=json.loads(redact(json.dumps(details), secrets)) if details else (),
            method=call.method,
            url=self.url(call),
            attempts=state.attempts,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def _parse(self, call: ApiCall[T], response: httpx.Response) -> T:
        if call.raw_response:
            return call.parse(response)
        payload: Any = response.json() if response.content.strip() else {}
        return call.parse(payload)


class RestClient(_RestClientBase):
    """Blocking client; use it from tasks and sensors.

    :param transport: an httpx transport, e.g. ``httpx.MockTransport`` in tests.
    :param sleep: how to wait between attempts (tests pass a recorder).
    """

    def __init__(
        self,
        settings: ClientSettings,
        auth: Auth | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(settings, auth)
        self._http = httpx.Client(timeout=settings.timeout, transport=transport)
        self._sleep = sleep

    def execute(self, call: ApiCall[T]) -> T:
        """Run ``call`` with retries and return its parsed result."""
        response = self._send(call, stream=False)
        try:
            return self._parse(call, response)
        finally:
            response.close()
            _detach(response)

    def stream(self, call: ApiCall[T]) -> Iterator[T]:
        """Run a ``?alt=sse`` call and yield each event's parsed data."""
        response = self._send(call, stream=True)
        decoder = SSEDecoder()
        try:
            for line in response.iter_lines():
                data = decoder.feed(line)
                if data is not None:
                    yield call.parse(json.loads(data))
            data = decoder.flush()
            if data is not None:
                yield call.parse(json.loads(data))
        except httpx.HTTPError as exc:
            raise self._transport_error(call, exc, RetryState(self.settings.retry, True)) from None
        finally:
            response.close()
            _detach(response)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, call: ApiCall[Any], *, stream: bool) -> httpx.Response:
        state = self._new_state(call)
        while True:
            state.begin_attempt()
            request = self._build_request(self._http, call, self.auth.headers())
            try:
                response = self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                self._sleep(self._wait_after_network_error(call, state, exc))
                continue
            if self._is_answer(call, response):
                return response
            response.read()
            response.close()
            _detach(response)
            if not self._should_refresh(response, state):
                self._sleep(self._wait_after_error_status(call, state, response))


class AsyncRestClient(_RestClientBase):
    """Non-blocking twin of :class:`RestClient`; use it from triggers and async tasks."""

    def __init__(
        self,
        settings: ClientSettings,
        auth: Auth | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, auth)
        self._http = httpx.AsyncClient(timeout=settings.timeout, transport=transport)
        self._sleep = sleep

    async def execute(self, call: ApiCall[T]) -> T:
        """Run ``call`` with retries and return its parsed result."""
        response = await self._send(call, stream=False)
        try:
            return self._parse(call, response)
        finally:
            await response.aclose()
            _detach(response)

    async def stream(self, call: ApiCall[T]) -> AsyncIterator[T]:
        """Run a ``?alt=sse`` call and yield each event's parsed data."""
        response = await self._send(call, stream=True)
        decoder = SSEDecoder()
        try:
            async for line in response.aiter_lines():
                data = decoder.feed(line)
                if data is not None:
                    yield call.parse(json.loads(data))
            data = decoder.flush()
            if data is not None:
                yield call.parse(json.loads(data))
        except httpx.HTTPError as exc:
            raise self._transport_error(call, exc, RetryState(self.settings.retry, True)) from None
        finally:
            await response.aclose()
            _detach(response)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRestClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, call: ApiCall[Any], *, stream: bool) -> httpx.Response:
        state = self._new_state(call)
        while True:
            state.begin_attempt()
            request = self._build_request(self._http, call, await self.auth.aheaders())
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                await self._sleep(self._wait_after_network_error(call, state, exc))
                continue
            if self._is_answer(call, response):
                return response
            await response.aread()
            await response.aclose()
            _detach(response)
            if not self._should_refresh(response, state):
                await self._sleep(self._wait_after_error_status(call, state, response))


def _detach(response: httpx.Response) -> None:
    """Let a finished response, its request and the request's body be freed at once.

    httpx links a response and its stream in a reference cycle, which keeps the
    request and its body (an upload chunk of several megabytes) in memory until the
    garbage collector happens to run. Call it once the response is closed.
    """
    response.stream = httpx.ByteStream(b"")


def _read_envelope(response: httpx.Response) -> tuple[str | None, str, list[dict[str, Any]]]:
    """``(status, message, details)`` from Google's error envelope, tolerating other bodies."""
    try:
        payload = response.json()
    except ValueError:
        text = response.text.strip()[:500]
        return None, text or response.reason_phrase, []
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        error = payload[0].get("error")  # some front ends wrap the envelope in a list
    if not isinstance(error, dict):
        return None, json.dumps(payload)[:500], []
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    status = error.get("status")
    return (str(status) if status else None), str(error.get("message", "")), details
