"""Wire JSON for respx routes of the generation and permission endpoints, and what they received."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

__all__ = ["answer", "page", "received", "sent_json"]


def answer(text: str) -> httpx.Response:
    """A ``GenerateContentResponse`` whose first candidate says ``text``."""
    return httpx.Response(
        200,
        json={
            "candidates": [
                {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
            ],
            "usageMetadata": {
                "promptTokenCount": 3,
                "candidatesTokenCount": 2,
                "totalTokenCount": 5,
            },
        },
    )


def page(*permissions: dict[str, Any], next_page_token: str | None = None) -> httpx.Response:
    """A ``ListPermissionsResponse``."""
    body: dict[str, Any] = {"permissions": list(permissions)}
    if next_page_token is not None:
        body["nextPageToken"] = next_page_token
    return httpx.Response(200, json=body)


def received(router: respx.MockRouter) -> list[tuple[str, str]]:
    """``(method, path)`` of every request the routes received, in order."""
    return [(call.request.method, call.request.url.path) for call in router.calls]


def sent_json(route: respx.Route) -> list[Any]:
    """The JSON bodies a route received, in order."""
    return [json.loads(call.request.content) for call in route.calls]
