"""The Gemini API's routes (``generativelanguage.googleapis.com``) and their handlers.

Route ids are the discovery method ids (``tunedModels.get``,
``tunedModels.permissions.create``, ...); fault rules select routes by them.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.errors import not_found
from airflow_provider_tunedmodels.emulator.faults import FaultInjector
from airflow_provider_tunedmodels.emulator.gemini import catalog, limits
from airflow_provider_tunedmodels.emulator.gemini.generation import (
    Generation,
    Generator,
    response_json,
    stream_json,
)
from airflow_provider_tunedmodels.emulator.gemini.operations import Operations
from airflow_provider_tunedmodels.emulator.gemini.permissions import Permissions
from airflow_provider_tunedmodels.emulator.gemini.schemas import (
    CANCEL_OPERATION_REQUEST,
    GENERATE_CONTENT_REQUEST,
    PERMISSION,
    TRANSFER_OWNERSHIP_REQUEST,
    TUNED_MODEL,
)
from airflow_provider_tunedmodels.emulator.gemini.store import Store
from airflow_provider_tunedmodels.emulator.gemini.tuned_models import TunedModels
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.responses import Reply, json_reply, stream_reply
from airflow_provider_tunedmodels.emulator.router import Call, Router
from airflow_provider_tunedmodels.emulator.wire import (
    parse_field_mask,
    parse_page_size,
    query_value,
)

__all__ = ["GeminiApi", "register"]

# Query parameters of list methods, as declared in the OpenAPI description.
_PAGE_QUERY = ("pageSize", "pageToken")
_LIST_QUERY = (*_PAGE_QUERY, "filter")


def register(router: Router, context: ServerContext) -> None:
    """Serve the Gemini API on ``router``, keeping its state in ``context.state``."""
    GeminiApi(context).register(router)


class GeminiApi:
    """The Gemini API's services and request handlers."""

    def __init__(self, context: ServerContext) -> None:
        self.faults: FaultInjector = context.faults
        self.store = Store(context.state, seed=context.config.seed)
        self.tuned_models = TunedModels(
            self.store, step_seconds=context.config.step_seconds, clock=context.clock
        )
        self.permissions = Permissions(self.tuned_models)
        self.operations = Operations(self.tuned_models)
        self.generator = Generator(self.tuned_models)

    def register(self, router: Router) -> None:
        """Add every route, hot routes first (one regular expression is tried after another)."""
        self._register_tuned_model_routes(router)
        self._register_permission_routes(router)
        self._register_versioned_routes(router)

    def _register_tuned_model_routes(self, router: Router) -> None:
        base = "/v1beta/tunedModels"
        router.add("GET", f"{base}/{{model}}", "tunedModels.get", self._get_tuned_model)
        router.add("GET", base, "tunedModels.list", self._list_tuned_models, query=_LIST_QUERY)
        router.add(
            "POST",
            base,
            "tunedModels.create",
            self._create_tuned_model,
            write=True,
            query=("tunedModelId",),
            body=TUNED_MODEL,
        )
        router.add(
            "PATCH",
            f"{base}/{{model}}",
            "tunedModels.patch",
            self._patch_tuned_model,
            write=True,
            query=("updateMask",),
            body=TUNED_MODEL,
        )
        router.add(
            "DELETE",
            f"{base}/{{model}}",
            "tunedModels.delete",
            self._delete_tuned_model,
            write=True,
        )
        router.add(
            "POST",
            f"{base}/{{model}}:transferOwnership",
            "tunedModels.transferOwnership",
            self._transfer_ownership,
            write=True,
            body=TRANSFER_OWNERSHIP_REQUEST,
        )

    def _register_permission_routes(self, router: Router) -> None:
        perms = "/v1beta/tunedModels/{model}/permissions"
        router.add(
            "POST",
            perms,
            "tunedModels.permissions.create",
            self._create_permission,
            write=True,
            body=PERMISSION,
        )
        router.add(
            "GET",
            perms,
            "tunedModels.permissions.list",
            self._list_permissions,
            query=_PAGE_QUERY,
        )
        one = f"{perms}/{{permission}}"
        router.add("GET", one, "tunedModels.permissions.get", self._get_permission)
        router.add(
            "PATCH",
            one,
            "tunedModels.permissions.patch",
            self._patch_permission,
            write=True,
            query=("updateMask",),
            body=PERMISSION,
        )
        router.add(
            "DELETE", one, "tunedModels.permissions.delete", self._delete_permission, write=True
        )

    def _register_versioned_routes(self, router: Router) -> None:
        for version in ("v1beta", "v1"):
            base = f"/{version}"
            router.add("GET", f"{base}/models", "models.list", self._list_models, query=_PAGE_QUERY)
            router.add("GET", f"{base}/models/{{model}}", "models.get", self._get_model)
            for parent, kind in (
                (f"{base}/tunedModels/{{model}}", "tunedModels"),
                (f"{base}/models/{{model}}", "models"),
            ):
                router.add(
                    "POST",
                    f"{parent}:generateContent",
                    f"{kind}.generateContent",
                    self._generate,
                    body=GENERATE_CONTENT_REQUEST,
                )
                router.add(
                    "POST",
                    f"{parent}:streamGenerateContent",
                    f"{kind}.streamGenerateContent",
                    self._stream,
                    query=("alt",),
                    body=GENERATE_CONTENT_REQUEST,
                    streams=True,
                )
            ops = f"{base}/tunedModels/{{model}}/operations"
            router.add(
                "GET", ops, "tunedModels.operations.list", self._list_operations, query=_PAGE_QUERY
            )
            router.add(
                "GET", f"{ops}/{{operation}}", "tunedModels.operations.get", self._get_operation
            )
        router.add(
            "POST",
            "/v1/tunedModels/{model}/operations/{operation}:cancel",
            "tunedModels.operations.cancel",
            self._cancel_operation,
            write=True,
            body=CANCEL_OPERATION_REQUEST,
        )
        router.add(
            "GET", "/v1/operations", "operations.list", self._list_operations, query=_PAGE_QUERY
        )

    # -- base models ----------------------------------------------------------

    async def _get_model(self, call: Call) -> Reply:
        name = f"models/{call.params['model']}"
        model = catalog.base_model(name)
        if model is None:
            raise not_found(f"{name} is not found for API version {call.api_version}.")
        return json_reply(model)

    async def _list_models(self, call: Call) -> Reply:
        names = list(catalog.BASE_MODELS)
        page, token = paginate(
            names,
            lambda name: (float(names.index(name)), name),
            page_size=parse_page_size(
                query_value(call.query, "pageSize"),
                default=catalog.MODELS_DEFAULT_PAGE_SIZE,
                maximum=limits.MAX_PAGE_SIZE,
            ),
            page_token=query_value(call.query, "pageToken"),
            query=("models",),
        )
        out: dict[str, Any] = {"models": [catalog.BASE_MODELS[name] for name in page]}
        if token:
            out["nextPageToken"] = token
        return json_reply(out)

    # -- tuned models ---------------------------------------------------------

    async def _create_tuned_model(self, call: Call) -> Reply:
        body = await call.json_body()
        fail = self.faults.tuning_fails("tunedModels.create")
        tuned_model_id = query_value(call.query, "tunedModelId")
        return json_reply(self.tuned_models.create(body, tuned_model_id, call.identity, fail=fail))

    async def _get_tuned_model(self, call: Call) -> Reply:
        return Reply(body=self.tuned_models.get(call.params["model"], call.identity))

    async def _list_tuned_models(self, call: Call) -> Reply:
        return json_reply(
            self.tuned_models.list_page(
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
                raw_filter=call.query.get("filter"),
            )
        )

    async def _patch_tuned_model(self, call: Call) -> Reply:
        body = await call.json_body()
        mask = parse_field_mask(query_value(call.query, "updateMask"))
        return Reply(body=self.tuned_models.patch(call.params["model"], body, mask, call.identity))

    async def _delete_tuned_model(self, call: Call) -> Reply:
        return json_reply(self.tuned_models.delete(call.params["model"], call.identity))

    async def _transfer_ownership(self, call: Call) -> Reply:
        body = await call.json_body()
        return json_reply(
            self.tuned_models.transfer_ownership(call.params["model"], body, call.identity)
        )

    # -- generation -----------------------------------------------------------

    async def _generate(self, call: Call) -> Reply:
        return json_reply(response_json(await self._generation(call)))

    async def _stream(self, call: Call) -> Reply:
        generation = await self._generation(call)
        return stream_reply(stream_json(generation), sse=call.query.get("alt") == "sse")

    async def _generation(self, call: Call) -> Generation:
        body = await call.json_body()
        if call.request.url.path.split("/")[2] == "models":
            return self.generator.generate_with_base_model(call.params["model"], body)
        return self.generator.generate(call.params["model"], body, call.identity)

    # -- operations -----------------------------------------------------------

    async def _get_operation(self, call: Call) -> Reply:
        params = call.params
        return json_reply(self.operations.get(params["model"], params["operation"], call.identity))

    async def _list_operations(self, call: Call) -> Reply:
        return json_reply(
            self.operations.list_page(
                call.params.get("model"),
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
            )
        )

    async def _cancel_operation(self, call: Call) -> Reply:
        await call.json_body()
        params = call.params
        return json_reply(
            self.operations.cancel(params["model"], params["operation"], call.identity)
        )

    # -- permissions ----------------------------------------------------------

    async def _create_permission(self, call: Call) -> Reply:
        body = await call.json_body()
        return json_reply(self.permissions.create(call.params["model"], body, call.identity))

    async def _list_permissions(self, call: Call) -> Reply:
        return json_reply(
            self.permissions.list_page(
                call.params["model"],
                call.identity,
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
            )
        )

    async def _get_permission(self, call: Call) -> Reply:
        params = call.params
        return json_reply(
            self.permissions.get(params["model"], params["permission"], call.identity)
        )

    async def _patch_permission(self, call: Call) -> Reply:
        body = await call.json_body()
        mask = parse_field_mask(query_value(call.query, "updateMask"))
        params = call.params
        return json_reply(
            self.permissions.patch(params["model"], params["permission"], body, mask, call.identity)
        )

    async def _delete_permission(self, call: Call) -> Reply:
        params = call.params
        return json_reply(
            self.permissions.delete(params["model"], params["permission"], call.identity)
        )


def _page_size(call: Call) -> int:
    return parse_page_size(
        query_value(call.query, "pageSize"),
        default=limits.DEFAULT_PAGE_SIZE,
        maximum=limits.MAX_PAGE_SIZE,
    )
