"""The hook for the Gemini API (Generative Language ``v1beta``) ``tunedModels`` resource.

Every method has a blocking form (for tasks) and an ``a``-prefixed async form
(for triggers and async tasks) with the same parameters and results::

    hook = GeminiTunedModelsHook("gemini_tuned_models_default")
    operation = hook.create_tuned_model(model, tuned_model_id="support-router-20250101")
    done = hook.wait_for_operation(operation.name, timeout=3600)
    print(done.tuned_model.state)

    model = await hook.aget_tuned_model("support-router-20250101")

Requests are validated locally first (see :mod:`~airflow_provider_tunedmodels.models.gemini.validation`),
so a mistake fails before anything is sent. Retries follow
:mod:`~airflow_provider_tunedmodels.core.retry`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_tunedmodels.connection_form import GEMINI_CONNECTION
from airflow_provider_tunedmodels.core.errors import AlreadyExistsError, NotFoundError
from airflow_provider_tunedmodels.core.paging import aiter_items, iter_items
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.defaults import GEMINI_CONN_ID
from airflow_provider_tunedmodels.hooks import gemini_calls as calls
from airflow_provider_tunedmodels.hooks.base import TuningJobHook
from airflow_provider_tunedmodels.hooks.gemini_jobs import GeminiJobsMixin, describe_progress
from airflow_provider_tunedmodels.hooks.operations import OperationCalls, OperationMethods
from airflow_provider_tunedmodels.models import (
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
)
from airflow_provider_tunedmodels.models.gemini import (
    ListOperationsResponse,
    ListPermissionsResponse,
    ListTunedModelsResponse,
    Model,
    Operation,
    Permission,
    Role,
    TunedModel,
)
from airflow_provider_tunedmodels.models.gemini.validation import (
    generation_request_problems,
    validate_new_permission,
    validate_new_tuned_model,
    validate_tuned_model_update,
)
from airflow_provider_tunedmodels.models.problems import Problem, raise_problems
from airflow_provider_tunedmodels.models.requests import parse_request

__all__ = ["GEMINI_CONNECTION", "GeminiTunedModelsHook", "describe_progress"]

GenerateInput = str | GenerateContentRequest | Mapping[str, Any]


class GeminiTunedModelsHook(GeminiJobsMixin, OperationMethods[Operation], TuningJobHook):
    """Interact with tuned models on the Gemini API, or a compatible server.

    A tuning job here is a tuned model's create operation
    (``tunedModels/{id}/operations/{op}``) or, when the operation is not known,
    the tuned model itself (``tunedModels/{id}``).

    :param conn_id: Airflow connection of type ``gemini_tuned_models``
        (``gemini_conn_id`` is accepted too).
    :param settings: use these settings instead of reading a connection (scripts, tests).
    :param transport: httpx transport for the sync client (tests).
    :param async_transport: httpx transport for the async client (tests).
    """

    default_conn_name = GEMINI_CONN_ID
    conn_type = "gemini_tuned_models"
    hook_name = "Gemini API (tuned models)"
    connection_defaults = GEMINI_CONNECTION
    operation_calls = OperationCalls(calls.get_operation, calls.cancel_operation)

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        gemini_conn_id: str | None = None,
        settings: ClientSettings | None = None,
        transport: Any = None,
        async_transport: Any = None,
    ) -> None:
        super().__init__(
            conn_id or gemini_conn_id,
            settings=settings,
            transport=transport,
            async_transport=async_transport,
        )

    @property
    def gemini_conn_id(self) -> str:
        """The connection id (the name this hook's argument had before backends were neutral)."""
        return self.conn_id

    def probe(self) -> None:
        """List one tuned model: cheap, and needs a working credential."""
        self.list_tuned_models(page_size=1)

    # --- tunedModels -------------------------------------------------------------------------

    def create_tuned_model(
        self, tuned_model: TunedModel | Mapping[str, Any], *, tuned_model_id: str | None = None
    ) -> Operation:
        """Start tuning; returns the long-running operation at once.

        With ``tuned_model_id`` the call is retried on transient errors, and a retry
        that finds its own earlier attempt succeeded (``ALREADY_EXISTS`` after a lost
        answer) returns that model's operation instead of failing. Without an id it
        is never repeated after it may have reached the server.
        """
        model, spelling = parse_request(TunedModel, tuned_model, field="tuned_model")
        validate_new_tuned_model(model, tuned_model_id, spelling=spelling)
        try:
            return self._run(calls.create_tuned_model(model, tuned_model_id))
        except AlreadyExistsError as exc:
            if exc.attempts > 1 and tuned_model_id:
                operation = self.latest_operation(tuned_model_id)
                if operation is not None:
                    return operation
            raise

    async def acreate_tuned_model(
        self, tuned_model: TunedModel | Mapping[str, Any], *, tuned_model_id: str | None = None
    ) -> Operation:
        """Async :meth:`create_tuned_model`."""
        model, spelling = parse_request(TunedModel, tuned_model, field="tuned_model")
        validate_new_tuned_model(model, tuned_model_id, spelling=spelling)
        try:
            return await self._arun(calls.create_tuned_model(model, tuned_model_id))
        except AlreadyExistsError as exc:
            if exc.attempts > 1 and tuned_model_id:
                operation = await self.alatest_operation(tuned_model_id)
                if operation is not None:
                    return operation
            raise

    def get_tuned_model(self, name: str) -> TunedModel:
        """Get a tuned model by id or ``tunedModels/{id}``."""
        return self._run(calls.get_tuned_model(name))

    async def aget_tuned_model(self, name: str) -> TunedModel:
        """Async :meth:`get_tuned_model`."""
        return await self._arun(calls.get_tuned_model(name))

    def list_tuned_models(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        filter: str | None = None,
    ) -> ListTunedModelsResponse:
        """One page of tuned models. ``filter`` is full-text, or ``owner:me``, ``readers:me``, ..."""
        return self._run(calls.list_tuned_models(page_size, page_token, filter))

    async def alist_tuned_models(
        self,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        filter: str | None = None,
    ) -> ListTunedModelsResponse:
        """Async :meth:`list_tuned_models`."""
        return await self._arun(calls.list_tuned_models(page_size, page_token, filter))

    def iter_tuned_models(
        self, *, page_size: int | None = None, filter: str | None = None
    ) -> Iterator[TunedModel]:
        """Every tuned model, following page tokens."""
        return iter_items(
            lambda token: self.list_tuned_models(
                page_size=page_size, page_token=token, filter=filter
            )
        )

    def aiter_tuned_models(
        self, *, page_size: int | None = None, filter: str | None = None
    ) -> AsyncIterator[TunedModel]:
        """Async :meth:`iter_tuned_models`."""
        return aiter_items(
            lambda token: self.alist_tuned_models(
                page_size=page_size, page_token=token, filter=filter
            )
        )

    def update_tuned_model(
        self,
        name: str,
        fields: TunedModel | Mapping[str, Any],
        *,
        update_mask: Sequence[str] | str | None = None,
    ) -> TunedModel:
        """Change mutable fields (display name, description, sampling defaults, readers).

        :param fields: the new values; a mapping's keys (snake_case or camelCase) become
            the update mask. A key set to ``None`` clears that field.
        :param update_mask: explicit mask, e.g. ``"description,temperature"``; only
            these paths are applied.
        """
        changes, mask = _prepare_update(fields, update_mask)
        return self._run(calls.update_tuned_model(name, changes, mask))

    async def aupdate_tuned_model(
        self,
        name: str,
        fields: TunedModel | Mapping[str, Any],
        *,
        update_mask: Sequence[str] | str | None = None,
    ) -> TunedModel:
        """Async :meth:`update_tuned_model`."""
        changes, mask = _prepare_update(fields, update_mask)
        return await self._arun(calls.update_tuned_model(name, changes, mask))

    def delete_tuned_model(self, name: str, *, ignore_missing: bool = False) -> bool:
        """Delete a tuned model; returns whether it existed.

        A retry that finds the model gone (its first attempt succeeded) counts as deleted.
        """
        try:
            self._run(calls.delete_tuned_model(name))
        except NotFoundError as exc:
            return _deleted_before(exc, ignore_missing=ignore_missing)
        return True

    async def adelete_tuned_model(self, name: str, *, ignore_missing: bool = False) -> bool:
        """Async :meth:`delete_tuned_model`."""
        try:
            await self._arun(calls.delete_tuned_model(name))
        except NotFoundError as exc:
            return _deleted_before(exc, ignore_missing=ignore_missing)
        return True

    # --- generation --------------------------------------------------------------------------

    def generate_content(
        self,
        model: str,
        request: GenerateInput,
        *,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    ) -> GenerateContentResponse:
        """Generate with a tuned model (``tunedModels/x``) or a base model (``models/x``).

        :param request: a prompt string, a ``GenerateContentRequest`` or its JSON.
        """
        return self._run(calls.generate_content(model, _request(request, generation_config)))

    async def agenerate_content(
        self,
        model: str,
        request: GenerateInput,
        *,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    ) -> GenerateContentResponse:
        """Async :meth:`generate_content`."""
        return await self._arun(calls.generate_content(model, _request(request, generation_config)))

    def stream_generate_content(
        self,
        model: str,
        request: GenerateInput,
        *,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    ) -> Iterator[GenerateContentResponse]:
        """Yield response chunks as the server streams them (``alt=sse``)."""
        return self.client.stream(
            calls.stream_generate_content(model, _request(request, generation_config))
        )

    async def astream_generate_content(
        self,
        model: str,
        request: GenerateInput,
        *,
        generation_config: GenerationConfig | Mapping[str, Any] | None = None,
    ) -> AsyncIterator[GenerateContentResponse]:
        """Async :meth:`stream_generate_content`."""
        client = await self.aget_client()
        call = calls.stream_generate_content(model, _request(request, generation_config))
        async for chunk in client.stream(call):
            yield chunk

    # --- ownership and permissions -----------------------------------------------------------

    def transfer_ownership(self, name: str, email_address: str) -> None:
        """Make ``email_address`` the owner; the current owner becomes a WRITER."""
        self._run(calls.transfer_ownership(name, email_address))

    async def atransfer_ownership(self, name: str, email_address: str) -> None:
        """Async :meth:`transfer_ownership`."""
        await self._arun(calls.transfer_ownership(name, email_address))

    def create_permission(
        self, tuned_model: str, permission: Permission | Mapping[str, Any]
    ) -> Permission:
        """Grant a role, e.g. ``{"granteeType": "USER", "emailAddress": ..., "role": "READER"}``."""
        granted, spelling = parse_request(Permission, permission, field="permission")
        validate_new_permission(granted, spelling=spelling)
        return self._run(calls.create_permission(tuned_model, granted))

    async def acreate_permission(
        self, tuned_model: str, permission: Permission | Mapping[str, Any]
    ) -> Permission:
        """Async :meth:`create_permission`."""
        granted, spelling = parse_request(Permission, permission, field="permission")
        validate_new_permission(granted, spelling=spelling)
        return await self._arun(calls.create_permission(tuned_model, granted))

    def get_permission(self, name: str) -> Permission:
        """Get ``tunedModels/{id}/permissions/{permission}``."""
        return self._run(calls.get_permission(name))

    async def aget_permission(self, name: str) -> Permission:
        """Async :meth:`get_permission`."""
        return await self._arun(calls.get_permission(name))

    def list_permissions(
        self, tuned_model: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> ListPermissionsResponse:
        """One page of a tuned model's permissions (the owner's included)."""
        return self._run(calls.list_permissions(tuned_model, page_size, page_token))

    async def alist_permissions(
        self, tuned_model: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> ListPermissionsResponse:
        """Async :meth:`list_permissions`."""
        return await self._arun(calls.list_permissions(tuned_model, page_size, page_token))

    def iter_permissions(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> Iterator[Permission]:
        """Every permission of a tuned model, following page tokens."""
        return iter_items(
            lambda token: self.list_permissions(tuned_model, page_size=page_size, page_token=token)
        )

    def aiter_permissions(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> AsyncIterator[Permission]:
        """Async :meth:`iter_permissions`."""
        return aiter_items(
            lambda token: self.alist_permissions(tuned_model, page_size=page_size, page_token=token)
        )

    def update_permission(self, name: str, role: Role | str) -> Permission:
        """Change a permission's role (the only mutable field)."""
        return self._run(calls.update_permission(name, _role(role)))

    async def aupdate_permission(self, name: str, role: Role | str) -> Permission:
        """Async :meth:`update_permission`."""
        return await self._arun(calls.update_permission(name, _role(role)))

    def delete_permission(self, name: str) -> None:
        """Revoke a permission."""
        self._run(calls.delete_permission(name))

    async def adelete_permission(self, name: str) -> None:
        """Async :meth:`delete_permission`."""
        await self._arun(calls.delete_permission(name))

    # --- operations --------------------------------------------------------------------------

    def list_operations(
        self,
        tuned_model: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        filter: str | None = None,
    ) -> ListOperationsResponse:
        """One page of a tuned model's operations."""
        return self._run(calls.list_operations(tuned_model, page_size, page_token, filter))

    async def alist_operations(
        self,
        tuned_model: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
        filter: str | None = None,
    ) -> ListOperationsResponse:
        """Async :meth:`list_operations`."""
        return await self._arun(calls.list_operations(tuned_model, page_size, page_token, filter))

    def iter_operations(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> Iterator[Operation]:
        """Every operation of a tuned model, following page tokens."""
        return iter_items(
            lambda token: self.list_operations(tuned_model, page_size=page_size, page_token=token)
        )

    def aiter_operations(
        self, tuned_model: str, *, page_size: int | None = None
    ) -> AsyncIterator[Operation]:
        """Async :meth:`iter_operations`."""
        return aiter_items(
            lambda token: self.alist_operations(tuned_model, page_size=page_size, page_token=token)
        )

    def _log_operation(self, operation: Operation) -> None:
        self.log.info("%s: %s", operation.name, describe_progress(operation))

    # --- base models -------------------------------------------------------------------------

    def get_model(self, name: str) -> Model:
        """Describe a base model, e.g. ``models/gemini-1.5-flash-001-tuning``."""
        return self._run(calls.get_model(name))

    async def aget_model(self, name: str) -> Model:
        """Async :meth:`get_model`."""
        return await self._arun(calls.get_model(name))

    def iter_models(self, *, page_size: int | None = None) -> Iterator[Model]:
        """Every base model the server offers."""
        return iter_items(lambda token: self._run(calls.list_models(page_size, token)))

    # --- connection form ---------------------------------------------------------------------

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel and hide the generic connection fields (see ``get_provider_info``)."""
        from airflow_provider_tunedmodels.get_provider_info import UI_FIELD_BEHAVIOUR

        return {
            "hidden_fields": UI_FIELD_BEHAVIOUR["hidden-fields"],
            "relabeling": UI_FIELD_BEHAVIOUR["relabeling"],
            "placeholders": UI_FIELD_BEHAVIOUR["placeholders"],
        }


def _deleted_before(exc: NotFoundError, *, ignore_missing: bool) -> bool:
    """Whether a delete that got NOT_FOUND counts as done (``True``), as a no-op, or fails.

    After a repeated attempt, NOT_FOUND means an earlier attempt deleted the model.
    """
    if exc.attempts > 1:
        return True
    if ignore_missing:
        return False
    raise exc


def _prepare_update(
    fields: TunedModel | Mapping[str, Any], update_mask: Sequence[str] | str | None
) -> tuple[TunedModel, list[str]]:
    """The changes and their mask; the mask is checked as the caller wrote it."""
    changes, spelling = parse_request(TunedModel, fields, field="fields")
    if isinstance(fields, TunedModel):
        derived = sorted(fields.model_fields_set | set(fields.model_extra or {}))
    else:
        derived = [str(key) for key in fields]
    if isinstance(update_mask, str):
        update_mask = update_mask.split(",")
    mask = validate_tuned_model_update(
        changes, update_mask if update_mask is not None else derived, spelling=spelling
    )
    return changes, mask


def _request(
    request: GenerateInput, generation_config: GenerationConfig | Mapping[str, Any] | None
) -> GenerateContentRequest:
    """The generation request, checked: fields, numbers, and a prompt that is not empty."""
    if isinstance(request, str):
        built = GenerateContentRequest.from_prompt(request)
    else:
        built, _ = parse_request(
            GenerateContentRequest, request, field="request", known_fields_only=False
        )
    if generation_config is not None:
        config, _ = parse_request(
            GenerationConfig, generation_config, field="generation_config", known_fields_only=False
        )
        built = built.model_copy(update={"generation_config": config})
    raise_problems(generation_request_problems(built), "request")
    return built


def _role(role: Role | str) -> str:
    name = role.value if isinstance(role, Role) else str(role).upper()
    if name not in (Role.READER.value, Role.WRITER.value):
        raise_problems(
            [
                Problem(
                    "role", f"{name!r} must be READER or WRITER; use transferOwnership for OWNER"
                )
            ],
            "the permission update",
        )
    return name
