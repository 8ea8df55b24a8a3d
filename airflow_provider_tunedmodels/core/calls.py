"""A REST call described as data, so one description serves the sync and async clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["ApiCall", "QueryParams", "page_call"]

T = TypeVar("T")

QueryParams = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True)
class ApiCall(Generic[T]):
    """One REST method invocation.

    :param method: HTTP verb.
    :param path: path below the API version, e.g. ``tunedModels/abc``.
    :param parse: turns the decoded JSON answer into the result.
    :param params: query parameters; ``None`` values are left out.
    :param body: JSON body, already in wire format.
    :param idempotent: safe to repeat after it may have reached the server
        (see :mod:`airflow_provider_tunedmodels.core.retry`).
    :param api_version: overrides the connection's API version (e.g. ``v1`` for cancel).
    :param base_url: overrides the connection's base URL (e.g. the regional host of the
        location a Vertex AI resource lives in).
    :param content: a raw body (an upload) instead of a JSON ``body``.
    :param headers: extra request headers (e.g. the type of a raw body, ``Content-Range``).
    :param url: an absolute URL to call instead of root, version and path (a resumable
        upload session); its query string is sent but never shown in logs or errors.
    :param expected_statuses: non-2xx statuses that are answers, not errors (``308``
        of an unfinished resumable upload).
    :param raw_response: ``parse`` receives the ``httpx.Response`` itself instead of its
        decoded JSON (downloads, answers whose meaning is in their headers).
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    params: QueryParams | None = None
    body: Any = None
    idempotent: bool = True
    api_version: str | None = None
    base_url: str | None = None
    content: bytes | None = field(default=None, repr=False)
    headers: Mapping[str, str] | None = None
    url: str | None = field(default=None, repr=False)
    expected_statuses: frozenset[int] = frozenset()
    raw_response: bool = False

    def query(self) -> dict[str, str]:
        """The query parameters as strings, ``None`` values dropped."""
        result: dict[str, str] = {}
        for key, value in (self.params or {}).items():
            if value is None:
                continue
            result[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return result


def page_call(
    path: str,
    parse: Callable[[Any], T],
    page_size: int | None,
    page_token: str | None,
    **params: str | None,
) -> ApiCall[T]:
    """``GET`` one page of a ``List`` method: ``pageSize`` (already checked by the caller's
    API rules), ``pageToken`` and the method's other query parameters, e.g. ``filter``."""
    query = {"pageSize": page_size, "pageToken": page_token, **params}
    return ApiCall("GET", path, parse, params=query)
