"""What the sync and async REST clients share: URLs, requests, retry decisions, errors.

The clients in :mod:`~airflow_provider_tunedmodels.core.http` run the attempts;
this base decides how each request is built, whether a failure is repeated and
after how long, and which typed error a final failure becomes.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, TypeVar

import httpx

from airflow_provider_tunedmodels import __version__
from airflow_provider_tunedmodels.core.auth import Auth
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import (
    ApiError,
    InvalidResponseError,
    TransportError,
    TunedModelsError,
    UnreadableResponseError,
    api_error_class,
)
from airflow_provider_tunedmodels.core.pool import DEFAULT_KEEPALIVE_EXPIRY
from airflow_provider_tunedmodels.core.responses import (
    MalformedBody,
    parse_json_object,
    read_error_envelope,
)
from airflow_provider_tunedmodels.core.retry import RetryState, parse_retry_after
from airflow_provider_tunedmodels.core.secrets import redact
from airflow_provider_tunedmodels.core.settings import ClientSettings

__all__ = ["USER_AGENT", "RestClientBase"]

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"airflow-provider-tunedmodels/{__version__}"

#: Network errors after which the request certainly did not reach the server.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: What a parse function raises when an answer does not have the shape it expects.
_PARSE_ERRORS = (ValueError, TypeError, LookupError)
#: URLs kept parsed: one per tuned model a triggerer polls, within a few hundred KiB.
_PARSED_URLS = 2048


class RestClientBase:
    """What the sync and async clients share: URLs, headers, retry decisions, errors."""

    def __init__(self, settings: ClientSettings, auth: Auth | None = None) -> None:
        self.settings = settings
        self.auth = auth if auth is not None else settings.build_auth()
        self._url_prefix = f"{settings.root_url}/{settings.api_version}/"
        self._headers: dict[str, str] = {}
        self._timeout: dict[str, float | None] = {}

    def url(self, call: ApiCall[Any]) -> str:
        """The absolute URL of ``call``, without its query string (safe to show)."""
        if call.url is not None:
            return call.url.partition("?")[0]
        if call.base_url or call.api_version:
            root = call.base_url.rstrip("/") if call.base_url else self.settings.root_url
            version = call.api_version or self.settings.api_version
            return f"{root}/{version}/{call.path.lstrip('/')}"
        return self._url_prefix + call.path.lstrip("/")

    @staticmethod
    def _is_answer(call: ApiCall[Any], response: httpx.Response) -> bool:
        """A success, or a status the call expects as an answer (``308`` of an upload)."""
        return response.is_success or response.status_code in call.expected_statuses

    def _client_options(self) -> dict[str, Any]:
        """Options of the httpx client: timeout, fixed headers, connection limits."""
        size = self.settings.max_concurrent_requests
        return {
            "timeout": self.settings.timeout,
            "headers": {"user-agent": USER_AGENT, "accept": "application/json"},
            "limits": httpx.Limits(
                max_connections=size,
                max_keepalive_connections=size,
                keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY,
            ),
        }

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

    def _wait_after_unreadable(
        self, call: ApiCall[Any], state: RetryState, error: UnreadableResponseError
    ) -> float:
        """Seconds to wait before repeating, or raise ``error``."""
        delay = state.delay_after_unreadable_answer()
        if delay is None:
            raise error
        self._log_retry(call, f"HTTP {error.http_status} with {error.problem}", delay, state)
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
        url: str,
        auth_headers: dict[str, str],
    ) -> httpx.Request:
        """The request of one attempt, built without re-parsing what every attempt shares.

        Equal to ``http.build_request(...)``: the client's headers and timeout are
        merged in, the body is encoded by httpx. Only when a server has set cookies
        does it go through ``build_request``, which sends them back.
        """
        params = call.query() if call.params else None
        if call.url is not None or call.content is not None or call.headers or http.cookies:
            return self._build_unusual_request(http, call, auth_headers)
        return httpx.Request(
            call.method,
            _parsed_url(url),
            params=params,
            json=call.body,
            headers={**self._headers, **auth_headers},
            extensions={"timeout": self._timeout},
        )

    def _build_unusual_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: ApiCall[Any],
        auth_headers: dict[str, str],
    ) -> httpx.Request:
        """Raw bodies, extra headers, absolute session URLs, or a server's cookies."""
        headers = {**(call.headers or {}), **auth_headers}
        # httpx would replace an absolute URL's own query with ``params``: merge them first.
        url = httpx.URL(call.url or self.url(call)).copy_merge_params(call.query())
        if call.content is not None:
            return http.build_request(call.method, url, content=call.content, headers=headers)
        return http.build_request(call.method, url, json=call.body, headers=headers)

    def _keep_client_defaults(self, http: httpx.Client | httpx.AsyncClient) -> None:
        """Remember the httpx client's headers and timeout, merged into every request."""
        self._headers = dict(http.headers)
        self._timeout = http.timeout.as_dict()

    def _log_retry(self, call: ApiCall[Any], what: str, delay: float, state: RetryState) -> None:
        log.warning(
            "%s %s: %s; attempt %d of %d, retrying in %.2f s",
            call.method,
            self.url(call),
            redact(what, self.auth.secrets()),
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
        status, message, details = read_error_envelope(response)
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

    def _parse(self, call: ApiCall[T], body: bytes | str, http_status: int, state: RetryState) -> T:
        """Decode and parse a success body; a malformed one raises :class:`InvalidResponseError`."""
        try:
            payload = parse_json_object(body)
        except MalformedBody as malformed:
            error_class = UnreadableResponseError if malformed.unreadable else InvalidResponseError
            raise self._invalid_response(
                error_class, call, malformed.problem, http_status, state
            ) from None
        try:
            return call.parse(payload)
        except TunedModelsError:
            raise
        except _PARSE_ERRORS as exc:
            problem = "a JSON object of an unexpected shape: " + _summary(exc)
            raise self._invalid_response(
                InvalidResponseError, call, problem, http_status, state
            ) from None

    def _invalid_response(
        self,
        error_class: type[InvalidResponseError],
        call: ApiCall[Any],
        problem: str,
        http_status: int,
        state: RetryState,
    ) -> InvalidResponseError:
        return error_class(
            redact(problem, self.auth.secrets()),
            method=call.method,
            url=self.url(call),
            http_status=http_status,
            attempts=state.attempts,
        )


@functools.lru_cache(maxsize=_PARSED_URLS)
def _parsed_url(url: str) -> httpx.URL:
    """``httpx.URL(url)``, parsed once: triggers poll the same few URLs again and again."""
    return httpx.URL(url)


def _summary(exc: BaseException) -> str:
    """The first lines of a parse error, enough to see which field was wrong."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "; ".join(lines[:3])[:300] or type(exc).__name__
