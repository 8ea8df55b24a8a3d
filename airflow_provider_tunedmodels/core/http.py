"""REST clients: one sync (``httpx.Client``) and one async (``httpx.AsyncClient``), same behaviour.

Each :class:`ApiCall` goes through the same steps in both clients:
authenticate → send → on a retryable failure wait (backoff, jitter,
``Retry-After``) and repeat → on success parse, on failure raise a typed
:class:`~airflow_provider_tunedmodels.core.errors.ApiError`. A ``401`` with
Google credentials drops the cached token and repeats once. A success whose
body is not JSON (a proxy's page, a cut-off body) is repeated like a ``502``
for calls that are safe to repeat, then raised as
:class:`~airflow_provider_tunedmodels.core.errors.UnreadableResponseError`.

At most ``settings.max_concurrent_requests`` requests of one client are in
flight; the others wait their turn without costing the event loop anything.
The async client keeps one alive connection per allowed request (see
:mod:`~airflow_provider_tunedmodels.core.pool`), so a triggerer with a thousand
waiting triggers or an evaluation with many examples reuses a few warm
connections instead of opening and closing them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import httpx

from airflow_provider_tunedmodels.core.auth import Auth
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.client_base import RestClientBase
from airflow_provider_tunedmodels.core.errors import UnreadableResponseError
from airflow_provider_tunedmodels.core.pool import LaneTransport
from airflow_provider_tunedmodels.core.retry import RetryState
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.core.sse import SSEDecoder

__all__ = ["AsyncRestClient", "RestClient"]

T = TypeVar("T")


class RestClient(RestClientBase):
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
        self._http = httpx.Client(transport=transport, **self._client_options())
        self._keep_client_defaults(self._http)
        self._slots = threading.BoundedSemaphore(settings.max_concurrent_requests)
        self._sleep = sleep

    def execute(self, call: ApiCall[T]) -> T:
        """Run ``call`` with retries and return its parsed result."""
        state = self._new_state(call)
        while True:
            response = self._send(call, state, stream=False)
            try:
                if call.raw_response:
                    return call.parse(response)
                return self._parse(call, response.content, response.status_code, state)
            except UnreadableResponseError as error:
                self._sleep(self._wait_after_unreadable(call, state, error))
            finally:
                _detach(response)

    def stream(self, call: ApiCall[T]) -> Iterator[T]:
        """Run a ``?alt=sse`` call and yield each event's parsed data.

        The stream holds one request slot until it ends, retries included.
        """
        with self._slots:
            state = self._new_state(call)
            response = self._send(call, state, stream=True)
            decoder = SSEDecoder()
            try:
                for line in response.iter_lines():
                    data = decoder.feed(line)
                    if data is not None:
                        yield self._parse(call, data, response.status_code, state)
                data = decoder.flush()
                if data is not None:
                    yield self._parse(call, data, response.status_code, state)
            except httpx.HTTPError as exc:
                raise self._transport_error(call, exc, state) from None
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

    def _send(self, call: ApiCall[Any], state: RetryState, *, stream: bool) -> httpx.Response:
        """Send with retries until a success status (a stream's caller holds its slot)."""
        url = self.url(call)
        while True:
            state.begin_attempt()
            try:
                if stream:
                    response = self._attempt(call, url, stream=True)
                else:
                    with self._slots:  # released while waiting to repeat
                        response = self._attempt(call, url, stream=False)
            except httpx.HTTPError as exc:
                self._sleep(self._wait_after_network_error(call, state, exc))
                continue
            if self._is_answer(call, response):
                return response
            response.read()
            response.close()
            if not self._should_refresh(response, state):
                self._sleep(self._wait_after_error_status(call, state, response))

    def _attempt(self, call: ApiCall[Any], url: str, *, stream: bool) -> httpx.Response:
        request = self._build_request(self._http, call, url, self.auth.headers())
        return self._http.send(request, stream=stream)


class AsyncRestClient(RestClientBase):
    """Non-blocking twin of :class:`RestClient`; use it from triggers and async tasks.

    Bound to the event loop it is first used on; close it with :meth:`aclose`.
    """

    def __init__(
        self,
        settings: ClientSettings,
        auth: Auth | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        super().__init__(settings, auth)
        if transport is None:
            transport = LaneTransport(settings.max_concurrent_requests)
        self._http = httpx.AsyncClient(transport=transport, **self._client_options())
        self._keep_client_defaults(self._http)
        self._slots = asyncio.Semaphore(settings.max_concurrent_requests)
        self._sleep = sleep

    async def execute(self, call: ApiCall[T]) -> T:
        """Run ``call`` with retries and return its parsed result."""
        state = self._new_state(call)
        while True:
            response = await self._send(call, state, stream=False)
            try:
                if call.raw_response:
                    return call.parse(response)
                return self._parse(call, response.content, response.status_code, state)
            except UnreadableResponseError as error:
                await self._sleep(self._wait_after_unreadable(call, state, error))
            finally:
                _detach(response)

    async def stream(self, call: ApiCall[T]) -> AsyncIterator[T]:
        """Run a ``?alt=sse`` call and yield each event's parsed data.

        The stream holds one request slot until it ends, retries included.
        """
        async with self._slots:
            state = self._new_state(call)
            response = await self._send(call, state, stream=True)
            decoder = SSEDecoder()
            try:
                async for line in response.aiter_lines():
                    data = decoder.feed(line)
                    if data is not None:
                        yield self._parse(call, data, response.status_code, state)
                data = decoder.flush()
                if data is not None:
                    yield self._parse(call, data, response.status_code, state)
            except httpx.HTTPError as exc:
                raise self._transport_error(call, exc, state) from None
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

    async def _send(self, call: ApiCall[Any], state: RetryState, *, stream: bool) -> httpx.Response:
        """Send with retries until a success status (a stream's caller holds its slot)."""
        url = self.url(call)
        while True:
            state.begin_attempt()
            try:
                if stream:
                    response = await self._attempt(call, url, stream=True)
                else:
                    # Taken before the request is built, so that many callers woken at once
                    # queue here cheaply; released while waiting to repeat.
                    async with self._slots:
                        response = await self._attempt(call, url, stream=False)
            except httpx.HTTPError as exc:
                await self._sleep(self._wait_after_network_error(call, state, exc))
                continue
            if self._is_answer(call, response):
                return response
            await response.aread()
            await response.aclose()
            if not self._should_refresh(response, state):
                await self._sleep(self._wait_after_error_status(call, state, response))

    async def _attempt(self, call: ApiCall[Any], url: str, *, stream: bool) -> httpx.Response:
        request = self._build_request(self._http, call, url, await self.auth.aheaders())
        return await self._http.send(request, stream=stream)


def _detach(response: httpx.Response) -> None:
    """Let a finished response, its request and the request's body be freed at once.

    httpx links a response and its stream in a reference cycle, which keeps the
    request and its body (an upload chunk of several megabytes) in memory until the
    garbage collector happens to run. Call it once the response is closed.
    """
    response.stream = httpx.ByteStream(b"")
