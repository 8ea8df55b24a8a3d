"""The emulator's control API under ``/_emulator/`` (not part of Google's API).

=========================================  ==================================================
``GET /_emulator/health``                  ``{"status": "ok"}`` once the server answers
``POST /_emulator/reset``                  forget every resource of every API (tuned models,
                                           tuning jobs, buckets and objects) and every fault
``GET /_emulator/faults``                  ``{"seed": N, "rules": [...]}``
``PUT /_emulator/faults``                  replace the rules: ``{"rules": [...], "seed": N?}``
``DELETE /_emulator/faults``               remove every fault rule
``POST /_emulator/serviceAccounts``        ``{"email"}``: create a key, answer its key JSON;
                                           ``{"email", "privateKeyId", "publicKeyPem"}``:
                                           trust an existing public key (or certificate)
``POST /_emulator/apiKeys``                ``{"email", "key"?}``: accept a new API key
``PUT /_emulator/objects``                 ``{"uri": "gs://b/o", "text"}`` or ``{"uri", "base64"}``:
                                           store a Cloud Storage object (a tuning dataset)
``GET /_emulator/openapi.json``            the OpenAPI description of the served APIs
=========================================  ==================================================

The control API needs no credentials: the emulator is meant to listen on
loopback only. It is never subject to fault injection.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from airflow_provider_tunedmodels import __version__
from airflow_provider_tunedmodels.emulator.errors import ApiError, invalid_argument, not_found
from airflow_provider_tunedmodels.emulator.faults import FaultRule
from airflow_provider_tunedmodels.emulator.openapi import openapi_document
from airflow_provider_tunedmodels.emulator.responses import Reply, error_reply, json_reply
from airflow_provider_tunedmodels.emulator.router import read_body
from airflow_provider_tunedmodels.emulator.wire import dumps, parse_json_body

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.app import EmulatorApp

__all__ = ["AdminApi", "read_key_file"]


def read_key_file(path: str) -> dict[str, Any]:
    """Load a service-account key JSON file."""
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


class AdminApi:
    """Handlers of the control API."""

    def __init__(self, app: EmulatorApp) -> None:
        self.app = app
        self._openapi_body: bytes | None = None

    async def handle(self, request: Request) -> Reply:
        """Serve one control request."""
        route = (request.method, request.url.path)
        handlers = {
            ("GET", "/_emulator/health"): self._health,
            ("POST", "/_emulator/reset"): self._reset,
            ("GET", "/_emulator/faults"): self._get_faults,
            ("PUT", "/_emulator/faults"): self._put_faults,
            ("DELETE", "/_emulator/faults"): self._delete_faults,
            ("POST", "/_emulator/serviceAccounts"): self._service_account,
            ("POST", "/_emulator/apiKeys"): self._api_key,
            ("PUT", "/_emulator/objects"): self._put_object,
            ("GET", "/_emulator/openapi.json"): self._openapi,
        }
        handler = handlers.get(route)
        try:
            if handler is None:
                raise not_found(
                    f"The requested URL {request.url.path} was not found on this server."
                )
            return await handler(request)
        except ApiError as error:
            return error_reply(error)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
            return error_reply(invalid_argument(f"Invalid control request: {exc}"))

    async def _openapi(self, request: Request) -> Reply:
        if self._openapi_body is None:
            document = openapi_document(
                self.app.router, title="Tuned models emulator", version=__version__
            )
            self._openapi_body = dumps(document)
        return Reply(body=self._openapi_body)

    async def _health(self, request: Request) -> Reply:
        return json_reply({"status": "ok"})

    async def _reset(self, request: Request) -> Reply:
        self.app.state.reset()
        self.app.faults.reset()
        return json_reply({})

    def _faults_json(self) -> dict[str, Any]:
        faults = self.app.faults
        return {"seed": faults.seed, "rules": [rule.to_json() for rule in faults.rules]}

    async def _get_faults(self, request: Request) -> Reply:
        return json_reply(self._faults_json())

    async def _put_faults(self, request: Request) -> Reply:
        body = parse_json_body(await read_body(request))
        given = body.get("rules", [])
        if not isinstance(given, list) or not all(isinstance(rule, dict) for rule in given):
            raise invalid_argument('"rules" must be a list of fault rule objects.')
        rules = [FaultRule.from_json(rule) for rule in given]
        seed = body.get("seed")
        self.app.faults.configure(rules, seed=None if seed is None else int(seed))
        return json_reply(self._faults_json())

    async def _delete_faults(self, request: Request) -> Reply:
        self.app.faults.reset()
        return json_reply(self._faults_json())

    async def _service_account(self, request: Request) -> Reply:
        body = parse_json_body(await read_body(request))
        email = str(body["email"])
        if "@" not in email:
            raise invalid_argument(f"Invalid service account email: {email}")
        if "publicKeyPem" in body:
            key_id = str(body.get("privateKeyId") or secrets.token_hex(20))
            self.app.auth.register_key(email, key_id, str(body["publicKeyPem"]))
            return json_reply({"email": email, "privateKeyId": key_id})
        token_uri = f"{request.url.scheme}://{request.url.netloc}/token"
        return json_reply(self.app.auth.create_key(email, token_uri))

    async def _api_key(self, request: Request) -> Reply:
        body = parse_json_body(await read_body(request))
        email = str(body["email"])
        key = str(body.get("key") or "emulator-" + secrets.token_urlsafe(24))
        self.app.auth.api_keys[key] = email
        return json_reply({"key": key, "email": email})

    async def _put_object(self, request: Request) -> Reply:
        body = parse_json_body(await read_body(request))
        uri = str(body["uri"])
        if "base64" in body:
            data = base64.b64decode(str(body["base64"]), validate=True)
        else:
            data = str(body["text"]).encode("utf-8")
        self.app.context.storage.put_bytes(uri, data)
        self.app.state.save()
        return json_reply({"uri": uri, "size": str(len(data))})
