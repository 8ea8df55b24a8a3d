"""An in-memory stand-in for the permission and generation endpoints, as an httpx transport.

Used by the unit tests of the permissions, generate and evaluate operators. It
records every request, keeps permissions like the API does (one per grantee,
paged listing), answers prompts from a dict, and measures how many generation
requests are in flight at once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_tunedmodels.core.retry import RetryPolicy
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

BASE_URL = "https://gemini.test"
API_KEY = "AIzaSy-operator-unit-test-key-42"
OWNER = "owner@example.com"
#: Permissions per listed page, small so that listing has to follow page tokens.
PAGE_SIZE = 2

_PERMISSIONS = re.compile(r"^/v1beta/tunedModels/(?P<model>[^/]+)/permissions$")
_PERMISSION = re.compile(r"^/v1beta/(?P<name>tunedModels/[^/]+/permissions/[^/]+)$")
_GENERATE = re.compile(r"^/v1beta/(?P<model>(?:tunedModels|models)/[^/:]+):generateContent$")

#: A prompt's scripted reply: a text answer, or an HTTP error response.
Reply = str | httpx.Response


def error(code: int, status: str, message: str = "scripted failure") -> httpx.Response:
    """Google's error envelope."""
    return httpx.Response(
        code, json={"error": {"code": code, "message": message, "status": status}}
    )


def answer_json(text: str) -> dict[str, Any]:
    """A ``GenerateContentResponse`` holding ``text``."""
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        "modelVersion": "gemini-1.5-flash-001",
    }


@dataclass
class FakeGeminiApi:
    """The fake server's state; ``handle``/``ahandle`` are the transport handlers."""

    permissions: list[dict[str, Any]] = field(default_factory=list)
    #: ``(method, path)`` of every request, in order.
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: JSON bodies of generation requests, in arrival order.
    generate_bodies: list[dict[str, Any]] = field(default_factory=list)
    #: ``replies[model][prompt]``: scripted answers; other prompts are echoed upper-cased.
    replies: dict[str, dict[str, Reply]] = field(default_factory=dict)
    #: Replies that win over everything for a model, e.g. a 404 for a missing model.
    model_errors: dict[str, httpx.Response] = field(default_factory=dict)
    #: Called with a create body before it is applied; may return an error response.
    on_create: Callable[[dict[str, Any]], httpx.Response | None] | None = None
    #: Answers of the next DELETE requests, if scripted.
    delete_replies: list[httpx.Response] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _next_id: int = 0

    # --- setup -------------------------------------------------------------------------------

    def add_permission(
        self, email: str | None, role: str, grantee_type: str = "USER", model: str = "m1"
    ) -> dict[str, Any]:
        self._next_id += 1
        permission = {
            "name": f"tunedModels/{model}/permissions/p{self._next_id}",
            "granteeType": grantee_type,
            "role": role,
        }
        if email is not None:
            permission["emailAddress"] = email
        self.permissions.append(permission)
        return permission

    def hook(self) -> GeminiTunedModelsHook:
        """A hook whose sync and async clients both talk to this fake."""
        settings = ClientSettings(
            base_url=BASE_URL,
            api_key=API_KEY,
            retry=RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=0.0),
        )
        return GeminiTunedModelsHook(
            settings=settings,
            transport=httpx.MockTransport(self.handle),
            async_transport=httpx.MockTransport(self.ahandle),
        )

    def writes(self) -> list[tuple[str, str]]:
        """The requests that change something."""
        return [(method, path) for method, path in self.requests if method != "GET"]

    # --- handlers ----------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["x-goog-api-key"] == API_KEY
        path = request.url.path
        self.requests.append((request.method, path))
        if (found := _GENERATE.match(path)) and request.method == "POST":
            return self._generate(found["model"], json.loads(request.content))
        if found := _PERMISSIONS.match(path):
            if request.method == "GET":
                return self._list(found["model"], request.url.params.get("pageToken"))
            return self._create(found["model"], json.loads(request.content))
        if found := _PERMISSION.match(path):
            if request.method == "PATCH":
                assert request.url.params["updateMask"] == "role"
                return self._patch(found["name"], json.loads(request.content))
            if request.method == "DELETE":
                return self._delete(found["name"])
        return error(404, "NOT_FOUND", f"no route for {request.method} {path}")

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        """Like :meth:`handle`, but stays in flight over a few event-loop turns."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            for _ in range(20):
                await asyncio.sleep(0)
            return self.handle(request)
        finally:
            self.in_flight -= 1

    # --- permissions -------------------------------------------------------------------------

    def _of(self, model: str) -> list[dict[str, Any]]:
        prefix = f"tunedModels/{model}/permissions/"
        return [p for p in self.permissions if p["name"].startswith(prefix)]

    def _list(self, model: str, page_token: str | None) -> httpx.Response:
        owned = [{"name": f"tunedModels/{model}/permissions/owner", "granteeType": "USER",
                  "emailAddress": OWNER, "role": "OWNER"}]  # fmt: skip
        everything = owned + self._of(model)
        start = int(page_token or 0)
        body: dict[str, Any] = {"permissions": everything[start : start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(everything):
            body["nextPageToken"] = str(start + PAGE_SIZE)
        return httpx.Response(200, json=body)

    def _create(self, model: str, body: dict[str, Any]) -> httpx.Response:
        if self.on_create is not None:
            scripted = self.on_create(body)
            if scripted is not None:
                return scripted
        email = body.get("emailAddress")
        for held in self._of(model):
            if (held.get("emailAddress") or "").lower() == (email or "").lower():
                return error(409, "ALREADY_EXISTS", "a permission for this grantee exists")
        created = self.add_permission(email, body["role"], body["granteeType"], model)
        return httpx.Response(200, json=created)

    def _patch(self, name: str, body: dict[str, Any]) -> httpx.Response:
        for held in self.permissions:
            if held["name"] == name:
                held["role"] = body["role"]
                return httpx.Response(200, json=held)
        return error(404, "NOT_FOUND")

    def _delete(self, name: str) -> httpx.Response:
        if self.delete_replies:
            return self.delete_replies.pop(0)
        for held in self.permissions:
            if held["name"] == name:
                self.permissions.remove(held)
                return httpx.Response(200, json={})
        return error(404, "NOT_FOUND")

    # --- generation --------------------------------------------------------------------------

    def _generate(self, model: str, body: dict[str, Any]) -> httpx.Response:
        self.generate_bodies.append(body)
        if model in self.model_errors:
            return self.model_errors[model]
        prompt = "".join(part["text"] for part in body["contents"][-1]["parts"])
        reply = self.replies.get(model, {}).get(prompt, prompt.upper())
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, json=answer_json(reply))


def provider_modules_loaded_by(module: str) -> set[str]:
    """The provider's modules that importing ``module`` loads, in a clean import.

    The provider's modules are removed from ``sys.modules`` for the import and put
    back afterwards, so the rest of the test session keeps the original objects.
    """
    import importlib
    import sys

    saved = {name: mod for name, mod in sys.modules.items() if _is_provider(name)}
    for name in saved:
        del sys.modules[name]
    try:
        importlib.import_module(module)
        return {name for name in sys.modules if _is_provider(name)}
    finally:
        for name in [name for name in sys.modules if _is_provider(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _is_provider(name: str) -> bool:
    return name == "airflow_provider_tunedmodels" or name.startswith(
        "airflow_provider_tunedmodels."
    )


#: Modules an operator module must not import when a DAG file is parsed.
HEAVY_PROVIDER_MODULES = frozenset(
    {
        "airflow_provider_tunedmodels.hooks.tuned_models",
        "airflow_provider_tunedmodels.core.http",
        "airflow_provider_tunedmodels.core.auth",
        "airflow_provider_tunedmodels.models",
        "airflow_provider_tunedmodels.data",
    }
)
