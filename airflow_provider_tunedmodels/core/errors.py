"""Exceptions raised by the provider.

The tree::

    TunedModelsError
     ├── ConfigurationError         the connection is wrong; nothing was sent
     │    └── AuthenticationError        Google would not issue an access token for the key
     ├── InvalidRequestError        local validation failed; nothing was sent (also a ValueError)
     ├── TransportError             the network failed and retries were exhausted
     ├── ChecksumMismatchError      the server stored other bytes than were sent
     ├── InvalidResponseError       a success status with a body that is not the expected JSON
     │    └── UnreadableResponseError     not JSON at all (a proxy's HTML page, a cut-off body)
     ├── ApiError                   the API answered with Google's error envelope
     │    ├── InvalidArgumentError         400 INVALID_ARGUMENT / OUT_OF_RANGE
     │    ├── FailedPreconditionError      400 FAILED_PRECONDITION
     │    ├── UnauthenticatedError         401 UNAUTHENTICATED
     │    ├── PermissionDeniedError        403 PERMISSION_DENIED
     │    ├── NotFoundError                404 NOT_FOUND
     │    ├── AlreadyExistsError           409 ALREADY_EXISTS
     │    ├── AbortedError                 409 ABORTED
     │    ├── ResourceExhaustedError       429 RESOURCE_EXHAUSTED
     │    ├── CancelledError               499 CANCELLED
     │    ├── ServerError                  500 INTERNAL / UNKNOWN / DATA_LOSS, 502
     │    ├── NotImplementedByServerError  501 UNIMPLEMENTED
     │    ├── UnavailableError             503 UNAVAILABLE
     │    └── DeadlineExceededError        504 DEADLINE_EXCEEDED
     └── OperationError
          ├── OperationFailedError   a long-running operation finished with an error
          └── OperationTimeoutError  waiting for an operation ran past its deadline

Messages name what went wrong and what to do about it. They never contain a
credential: the client redacts every secret it knows before building them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "AbortedError",
    "AlreadyExistsError",
    "ApiError",
    "AuthenticationError",
    "CancelledError",
    "ChecksumMismatchError",
    "ConfigurationError",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "NotImplementedByServerError",
    "OperationError",
    "OperationFailedError",
    "OperationTimeoutError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "ServerError",
    "TransportError",
    "TunedModelsError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnreadableResponseError",
    "api_error_class",
]


class TunedModelsError(Exception):
    """Base class of every error this provider raises."""


class ConfigurationError(TunedModelsError):
    """The Airflow connection (or hook arguments) cannot work; nothing was sent."""


class AuthenticationError(ConfigurationError):
    """The token endpoint refused the connection's credentials (e.g. a revoked or unknown key).

    Raised before the API request it was meant for is sent. The message names the
    connection and the token endpoint's reason, never the key.
    """


class InvalidRequestError(TunedModelsError, ValueError):
    """A request failed local validation; nothing was sent.

    :param problems: one line per problem, each naming the field (and the example
        index, for training data) and what to change.
    """

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.what = what
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{what} is invalid; fix the following before retrying:\n{lines}")


class TransportError(TunedModelsError):
    """The request could not be completed on the network after every allowed attempt."""

    def __init__(self, message: str, *, method: str, url: str, attempts: int) -> None:
        self.method = method
        self.url = url
        self.attempts = attempts
        self.reason = message
        super().__init__(
            f"{method} {url} failed after {attempts} attempt(s): {message}. "
            "Check that the connection's Base URL is reachable from this machine."
        )


class ChecksumMismatchError(TunedModelsError):
    """An upload succeeded, but the stored object's size or checksum is not the sent data's.

    :param url: the object that was written, e.g. ``gs://bucket/name``.
    :param problems: one line per field that differs.
    """

    def __init__(self, url: str, problems: Sequence[str]) -> None:
        self.url = url
        self.problems = list(problems)
        super().__init__(
            f"{url} does not hold the data that was uploaded ({'; '.join(self.problems)}). "
            "The source may have changed while it was read, or the data was corrupted on "
            "the way; upload it again."
        )


class InvalidResponseError(TunedModelsError):
    """The API answered with a success status, but not with the JSON object the method returns.

    :ivar method: HTTP method of the request.
    :ivar url: URL of the request, without its query string (never carries a credential).
    :ivar http_status: the success status that came with the body, e.g. ``200``.
    :ivar attempts: how many attempts were made, retries included.
    """

    #: Whether a repeat may get a good answer; see :class:`UnreadableResponseError`.
    transient: ClassVar[bool] = False
    hint: ClassVar[str] = (
        "The server at this URL does not answer like the API; check the base URL and API "
        "version of the connection."
    )

    def __init__(
        self, problem: str, *, method: str, url: str, http_status: int, attempts: int = 1
    ) -> None:
        self.problem = problem
        self.method = method
        self.url = url
        self.http_status = http_status
        self.attempts = attempts
        after = f" (after {attempts} attempts)" if attempts > 1 else ""
        super().__init__(
            f"{method} {url} answered HTTP {http_status} with {problem}{after}. {self.hint}"
        )


class UnreadableResponseError(InvalidResponseError):
    """The body of a success answer is not JSON: cut off, or a page from a proxy in between.

    A repeat may well get a good answer, so the clients repeat safe calls after it,
    and waiting code (triggers, sensors) treats it as transient.
    """

    transient = True
    hint = (
        "A proxy or load balancer may have answered instead of the API, or the connection was "
        "cut; this is usually transient. If it persists, check the base URL of the connection."
    )


class ApiError(TunedModelsError):
    """The API answered with an error.

    :ivar http_status: HTTP status code, e.g. ``404``.
    :ivar status: the ``google.rpc.Code`` name from the envelope, e.g. ``"NOT_FOUND"``.
    :ivar message: the server's message.
    :ivar details: the envelope's ``details`` list (``@type``-tagged objects).
    :ivar method: HTTP method of the failed request.
    :ivar url: URL of the failed request (never carries a credential).
    :ivar attempts: how many attempts were made, retries included.
    :ivar retry_after: seconds the server asked to wait, if it said so.
    """

    #: Advice appended to the message; subclasses override it.
    hint: ClassVar[str] = ""

    def __init__(
        self,
        *,
        http_status: int,
        status: str,
        message: str,
        details: Sequence[Mapping[str, Any]] = (),
        method: str = "",
        url: str = "",
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.status = status
        self.message = message
        self.details = [dict(d) for d in details]
        self.method = method
        self.url = url
        self.attempts = attempts
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" from {self.method} {self.url}" if self.method else ""
        text = f"{self.status} ({self.http_status}){where}: {self.message}"
        reason = self.reason
        if reason:
            # Parentheses, not brackets: Airflow's command line prints through rich, which
            # reads "[reason: ...]" as markup and deletes it.
            text += f" (reason: {reason})"
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        hint = _REASON_HINTS.get(reason or "", self.hint)
        text = text.rstrip(". ")
        return f"{text}. {hint}" if hint else text

    @property
    def reason(self) -> str | None:
        """The ``reason`` of the first ``google.rpc.ErrorInfo`` detail, if any."""
        for detail in self.details:
            if str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
                value = detail.get("reason")
                return str(value) if value else None
        return None


class InvalidArgumentError(ApiError):
    hint = "The server rejected the request's content; correct the field it names."


class FailedPreconditionError(ApiError):
    hint = (
        "The resource is not in a state that allows this call (for example a tuned model "
        "that is not ACTIVE yet); wait for it or fix its state, retrying alone will not help."
    )


class UnauthenticatedError(ApiError):
    hint = (
        "Check the credentials of the Airflow connection: the API key, or the service-account "
        "key and its token endpoint."
    )


class PermissionDeniedError(ApiError):
    hint = (
        "The credentials are valid but may not do this. With OAuth, request the scope "
        "https://www.googleapis.com/auth/generative-language.tuning; for a tuned model you "
        "do not own, ask its owner for a WRITER or READER permission."
    )


class NotFoundError(ApiError):
    hint = "Check the resource name; list what exists with the hook's list methods."


class AlreadyExistsError(ApiError):
    hint = (
        "A resource with this id exists already. Reuse it, delete it, or choose another id "
        "(the create operator's if_exists parameter decides this for you)."
    )


class AbortedError(ApiError):
    hint = "A concurrent change conflicted with this one; read the resource again and retry."


class ResourceExhaustedError(ApiError):
    hint = "A quota or rate limit was hit; lower concurrency, wait, or raise the quota."


class CancelledError(ApiError):
    hint = "The request was cancelled before it completed."


class ServerError(ApiError):
    hint = "The server failed; this is usually transient, so retry later."


class NotImplementedByServerError(ApiError):
    hint = "This server does not implement the method; check the base URL and API version."


class UnavailableError(ApiError):
    hint = "The service is overloaded or down; retry with backoff."


class DeadlineExceededError(ApiError):
    hint = "The server ran out of time; retry, or raise the connection's timeout."


#: Advice for ``google.rpc.ErrorInfo`` reasons whose status alone would mislead.
_REASON_HINTS = {
    "API_KEY_INVALID": "Check the API key of the Airflow connection.",
    "API_KEY_EXPIRED": "The API key has expired; renew it and update the Airflow connection.",
    "ACCESS_TOKEN_EXPIRED": "The access token expired; check the clock of this machine.",
    "CREDENTIALS_MISSING": "This method needs OAuth: use a service-account key or ADC instead of an API key.",
}

_BY_STATUS: dict[str, type[ApiError]] = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "OUT_OF_RANGE": InvalidArgumentError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "UNAUTHENTICATED": UnauthenticatedError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "ABORTED": AbortedError,
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
    "CANCELLED": CancelledError,
    "INTERNAL": ServerError,
    "UNKNOWN": ServerError,
    "DATA_LOSS": ServerError,
    "UNIMPLEMENTED": NotImplementedByServerError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineExceededError,
}

_BY_HTTP: dict[int, type[ApiError]] = {
    400: InvalidArgumentError,
    401: UnauthenticatedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: AbortedError,
    429: ResourceExhaustedError,
    499: CancelledError,
    501: NotImplementedByServerError,
    503: UnavailableError,
    504: DeadlineExceededError,
}

#: ``google.rpc.Code`` numbers to names, for ``google.rpc.Status`` in operations.
RPC_CODE_NAMES: dict[int, str] = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}


def api_error_class(status: str | None, http_status: int) -> type[ApiError]:
    """Pick the exception class: the envelope's ``status`` first, the HTTP code second."""
    if status and status in _BY_STATUS:
        return _BY_STATUS[status]
    if http_status in _BY_HTTP:
        return _BY_HTTP[http_status]
    return ServerError if http_status >= 500 else ApiError


class OperationError(TunedModelsError):
    """Base class for problems with long-running operations."""


class OperationFailedError(OperationError):
    """A long-running operation finished with an error (``done`` and ``error`` set)."""

    def __init__(self, operation_name: str, code: int, message: str) -> None:
        self.operation_name = operation_name
        self.code = code
        self.status = RPC_CODE_NAMES.get(code, str(code))
        self.error_message = message
        super().__init__(f"Operation {operation_name} failed with {self.status}: {message}")


class OperationTimeoutError(OperationError):
    """Waiting for an operation ran past its deadline; the operation itself goes on."""

    def __init__(self, operation_name: str, timeout: float) -> None:
        self.operation_name = operation_name
        self.timeout = timeout
        super().__init__(
            f"Operation {operation_name} was not done after {timeout:g} s. It is still running "
            "server-side: wait for it again (e.g. with the sensor) or raise the timeout."
        )
