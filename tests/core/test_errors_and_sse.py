from __future__ import annotations

import pytest

from airflow_provider_tunedmodels.core import errors
from airflow_provider_tunedmodels.core.sse import SSEDecoder


@pytest.mark.parametrize(
    ("status", "http", "expected"),
    [
        ("NOT_FOUND", 404, errors.NotFoundError),
        ("ALREADY_EXISTS", 409, errors.AlreadyExistsError),
        ("ABORTED", 409, errors.AbortedError),
        ("FAILED_PRECONDITION", 400, errors.FailedPreconditionError),
        ("INVALID_ARGUMENT", 400, errors.InvalidArgumentError),
        ("PERMISSION_DENIED", 403, errors.PermissionDeniedError),
        ("UNAUTHENTICATED", 401, errors.UnauthenticatedError),
        ("RESOURCE_EXHAUSTED", 429, errors.ResourceExhaustedError),
        ("UNAVAILABLE", 503, errors.UnavailableError),
        ("DEADLINE_EXCEEDED", 504, errors.DeadlineExceededError),
        ("INTERNAL", 500, errors.ServerError),
        (None, 409, errors.AbortedError),
        (None, 502, errors.ServerError),
        (None, 418, errors.ApiError),
    ],
)
def test_status_picks_the_exception_class(
    status: str | None, http: int, expected: type[errors.ApiError]
) -> None:
    assert errors.api_error_class(status, http) is expected


def test_api_error_message_names_the_call_reason_and_fix() -> None:
    error = errors.NotFoundError(
        http_status=404,
        status="NOT_FOUND",
        message="Tuned model tunedModels/x does not exist.",
        details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "GONE"}],
        method="GET",
        url="https://example.test/v1beta/tunedModels/x",
        attempts=2,
    )
    text = str(error)
    assert "NOT_FOUND (404) from GET https://example.test/v1beta/tunedModels/x" in text
    assert "(reason: GONE)" in text
    assert "after 2 attempts" in text
    assert "Check the resource name" in text
    assert error.reason == "GONE"


def test_invalid_request_error_lists_every_problem_and_is_a_value_error() -> None:
    error = errors.InvalidRequestError("the thing", ["a: bad", "b: worse"])
    assert isinstance(error, ValueError)
    assert str(error).splitlines() == [
        "the thing is invalid; fix the following before retrying:",
        "  - a: bad",
        "  - b: worse",
    ]


def test_operation_failed_error_names_the_rpc_code() -> None:
    error = errors.OperationFailedError("tunedModels/x/operations/y", 3, "bad data")
    assert error.status == "INVALID_ARGUMENT"
    assert "tunedModels/x/operations/y failed with INVALID_ARGUMENT: bad data" in str(error)


def test_sse_decoder_joins_multiline_data_and_ignores_comments() -> None:
    decoder = SSEDecoder()
    lines = [": keep-alive", 'data: {"a":', "data: 1}", "", "event: x", "data:2", "\r", "data: 3"]
    events = [e for e in (decoder.feed(line) for line in lines) if e is not None]
    assert events == ['{"a":\n1}', "2"]
    assert decoder.flush() == "3"
    assert decoder.flush() is None


def test_an_invalid_api_key_gets_credential_advice_not_field_advice() -> None:
    error = errors.InvalidArgumentError(
        http_status=400,
        status="INVALID_ARGUMENT",
        message="API key not valid. Please pass a valid API key.",
        details=[
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
        ],
    )
    assert str(error) == (
        "INVALID_ARGUMENT (400): API key not valid. Please pass a valid API key. "
        "(reason: API_KEY_INVALID). Check the API key of the Airflow connection."
    )


def test_the_reason_survives_airflows_command_line_printing() -> None:
    from rich.text import Text

    error = errors.InvalidArgumentError(
        http_status=400,
        status="INVALID_ARGUMENT",
        message="API key not valid.",
        details=[
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
        ],
    )
    # `airflow connections test` prints the message through rich, which drops markup.
    assert "API_KEY_INVALID" in Text.from_markup(str(error)).plain
