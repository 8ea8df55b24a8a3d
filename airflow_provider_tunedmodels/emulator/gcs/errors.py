"""Cloud Storage's error envelope and the errors the storage routes answer.

The JSON API does not use the ``google.rpc.Status`` shape of the other APIs: its
errors are ``{"error": {"code", "message", "errors": [{"message", "domain",
"reason"}]}}``, and it answers HTTP codes that have no canonical name of their
own (``412``, ``416``). :class:`StorageError` is an
:class:`~airflow_provider_tunedmodels.emulator.errors.ApiError`, so the
application's error handling answers it like any other.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError

__all__ = [
    "StorageError",
    "bucket_not_empty",
    "bucket_not_found",
    "conflict",
    "invalid",
    "object_not_found",
    "precondition_failed",
    "range_not_satisfiable",
    "required",
]

#: HTTP status -> the canonical code name closest to it (used when an error becomes an rpc status).
_CANONICAL = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    416: "OUT_OF_RANGE",
    499: "CANCELLED",
}


class StorageError(ApiError):
    """An error answered in Cloud Storage's envelope.

    :param http_status: the HTTP status, e.g. ``404``.
    :param reason: the ``errors[0].reason``, e.g. ``notFound``.
    :param message: the human-readable message.
    :param headers: response headers to send with the error.
    """

    def __init__(
        self, http_status: int, reason: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(_CANONICAL.get(http_status, "UNKNOWN"), message, headers=headers)
        self._http_status = http_status
        self.reason = reason

    @property
    def http_status(self) -> int:
        """The HTTP status code of this error."""
        return self._http_status

    def envelope(self) -> dict[str, Any]:
        """``{"error": {"code", "message", "errors": [...]}}``."""
        return {
            "error": {
                "code": self._http_status,
                "message": self.message,
                "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
            }
        }


def invalid(message: str) -> StorageError:
    """``400 invalid``."""
    return StorageError(400, "invalid", message)


def required(what: str) -> StorageError:
    """``400 required``: a parameter is missing."""
    return StorageError(400, "required", f"Required {what}")


def bucket_not_found() -> StorageError:
    """``404`` for a bucket that does not exist."""
    return StorageError(404, "notFound", "The specified bucket does not exist.")


def object_not_found(bucket: str, name: str) -> StorageError:
    """``404`` for an object that does not exist."""
    return StorageError(404, "notFound", f"No such object: {bucket}/{name}")


def conflict(message: str) -> StorageError:
    """``409 conflict``."""
    return StorageError(409, "conflict", message)


def bucket_not_empty() -> StorageError:
    """``409`` when deleting a bucket that still holds objects."""
    return conflict("The bucket you tried to delete is not empty.")


def precondition_failed() -> StorageError:
    """``412`` for an ``ifGenerationMatch`` that did not hold."""
    return StorageError(
        412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold."
    )


def range_not_satisfiable(size: int) -> StorageError:
    """``416`` for a ``Range`` that starts past the end of an object of ``size`` bytes."""
    return StorageError(
        416,
        "requestedRangeNotSatisfiable",
        "Request range not satisfiable",
        headers={"content-range": f"bytes */{size}"},
    )
