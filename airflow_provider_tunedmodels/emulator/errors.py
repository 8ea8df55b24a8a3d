"""Google API errors: canonical codes and the JSON error envelope.

Every error the emulator returns uses the HTTP mapping of ``google.rpc.Status``::

    {"error": {"code": 404, "message": "...", "status": "NOT_FOUND", "details": [...]}}

``code`` is the HTTP status, ``status`` the canonical code name. ``details`` is
omitted when empty, as the real front end does for most errors.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "CANONICAL_CODES",
    "ERROR_INFO_TYPE",
    "SERVICE_NAME",
    "ApiError",
    "already_exists",
    "error_info",
    "failed_precondition",
    "invalid_argument",
    "not_found",
    "permission_denied",
]


#: Canonical code name -> (numeric ``google.rpc.Code``, HTTP status).
CANONICAL_CODES: dict[str, tuple[int, int]] = {
    "OK": (0, 200),
    "CANCELLED": (1, 499),
    "UNKNOWN": (2, 500),
    "INVALID_ARGUMENT": (3, 400),
    "DEADLINE_EXCEEDED": (4, 504),
    "NOT_FOUND": (5, 404),
    "ALREADY_EXISTS": (6, 409),
    "PERMISSION_DENIED": (7, 403),
    "RESOURCE_EXHAUSTED": (8, 429),
    "FAILED_PRECONDITION": (9, 400),
    "ABORTED": (10, 409),
    "OUT_OF_RANGE": (11, 400),
    "UNIMPLEMENTED": (12, 501),
    "INTERNAL": (13, 500),
    "UNAVAILABLE": (14, 503),
    "DATA_LOSS": (15, 500),
    "UNAUTHENTICATED": (16, 401),
}

#: ``@type`` of the ``google.rpc.ErrorInfo`` detail.
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
#: Service name reported in ``ErrorInfo.metadata`` unless another is given.
SERVICE_NAME = "generativelanguage.googleapis.com"


class ApiError(Exception):
    """An error answered to the client in the Google error envelope."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if status not in CANONICAL_CODES:
            raise ValueError(f"unknown canonical code {status!r}")
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    @property
    def http_status(self) -> int:
        """The HTTP status code of this error."""
        return CANONICAL_CODES[self.status][1]

    @property
    def rpc_code(self) -> int:
        """The numeric ``google.rpc.Code`` of this error."""
        return CANONICAL_CODES[self.status][0]

    def envelope(self) -> dict[str, Any]:
        """The JSON body ``{"error": {...}}`` for this error."""
        error: dict[str, Any] = {
            "code": self.http_status,
            "message": self.message,
            "status": self.status,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def body(self) -> bytes:
        """The serialised JSON body for this error."""
        return json.dumps(self.envelope(), indent=2, allow_nan=False).encode()

    def rpc_status(self) -> dict[str, Any]:
        """This error as a ``google.rpc.Status`` (used in ``Operation.error``)."""
        status: dict[str, Any] = {"code": self.rpc_code, "message": self.message}
        if self.details:
            status["details"] = self.details
        return status


def error_info(reason: str, *, service: str = SERVICE_NAME, **metadata: str) -> dict[str, Any]:
    """A ``google.rpc.ErrorInfo`` detail (by default for the generative language service)."""
    return {
        "@type": ERROR_INFO_TYPE,
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service, **metadata},
    }


def invalid_argument(message: str, *, details: list[dict[str, Any]] | None = None) -> ApiError:
    """``400 INVALID_ARGUMENT``."""
    return ApiError("INVALID_ARGUMENT", message, details=details)


def failed_precondition(message: str) -> ApiError:
    """``400 FAILED_PRECONDITION``."""
    return ApiError("FAILED_PRECONDITION", message)


def not_found(message: str) -> ApiError:
    """``404 NOT_FOUND``."""
    return ApiError("NOT_FOUND", message)


def already_exists(message: str) -> ApiError:
    """``409 ALREADY_EXISTS``."""
    return ApiError("ALREADY_EXISTS", message)


def permission_denied(message: str) -> ApiError:
    """``403 PERMISSION_DENIED``."""
    return ApiError("PERMISSION_DENIED", message)
