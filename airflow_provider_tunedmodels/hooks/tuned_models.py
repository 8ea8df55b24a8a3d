"""The hook for the Gemini API (Generative Language ``v1beta``) ``tunedModels`` resource.

Every method has a blocking form (for tasks) and an ``a``-prefixed async form
(for triggers and async tasks) with the same parameters and results::

    hook = GeminiTunedModelsHook("gemini_tuned_models_default")
    operation = hook.create_tuned_model(model, tuned_model_id="support-router-20250101")
    done = hook.wait_for_operation(operation.name, timeout=3600)
    print(done.tuned_model.state)

    model = await hook.aget_tuned_model("support-router-20250101")

Requests are validated locally first (see :mod:`~airflow_provider_tunedmodels.models.validation`),
so a mistake fails before anything is sent. Retries follow
:mod:`~airflow_provider_tunedmodels.core.retry`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from airflow.sdk import BaseHook

from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import AlreadyExistsError, NotFoundError
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.lro import apoll_operation, poll_operation
from airflow_provider_tunedmodels.core.paging import aiter_items, iter_items
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.hooks import gemini_calls as calls
from airflow_provider_tunedmodels.models import (
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    ListOperationsResponse,
    ListPermissionsResponse,
    ListTunedModelsResponse,
    Model,
    Operation,
    Permission,
    Role,
    TunedModel,
)
from airflow_provider_tunedmodels.models.validation import (
    update_mask_for,
    validate_new_permission,
    validate_new_tuned_model,
    validate_tuned_model_update,
)

__all__ = ["GeminiTunedModelsHook", "describe_progress"]

T = TypeVar("T")

#: Seconds between operation polls when the caller does not say.
DEFAULT_POLL_INTERVAL = 30.0
#: Seconds to wait for a tuning operation when the caller does not say.
DEFAULT_OPERATION_TIMEOUT = 24 * 3600.0

GenerateInput = str | GenerateContentRequest | Mapping[str, Any]


class GeminiTunedModelsHook(BaseHook):
    """Interact with tuned models on the Gemini API, or a compatible server.

    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.
    :param settings: use these settings instead of reading a connection (scripts, tests).
    :param transport: httpx transport for the sync client (tests).
    :param async_transport: httpx transport for the async client (tests).
    """

    conn_name_attr = "gemini_conn_id"
    default_conn_name = "gemini_tuned_models_default"
    conn_type = "gemini_tuned_models"
    hook_name = "Gemini API (tuned models)"

    def __init__(
        self,
        gemini_conn_id: str = default_conn_name,
        *,
        settings: ClientSettings | None = None,
        transport: Any = None,
        async_transport: Any = None,
    ) -> None:
        super().__init__()
        self.gemini_conn_id = gemini_conn_id
        self._settings = settings
        self._transport = transport
        self._async_transport = async_transport
        self._async_client: AsyncRestClient | None = None

    # --- connection and clients --------------------------------------------------------------

    @property
    def settings(self) -> ClientSettings:
        """Client settings, read from the connection on first use (blocking)."""
        if self._settings is None:
            self._settings = ClientSettings.from_connection(
                self.get_connection(self.gemini_conn_id)
            )
        return self._settings

    async def asettings(self) -> ClientSettings:
        """Client settings, read from the connection without blocking the event loop."""
        if self._settings is None:
            connection = await _aget_connection(self.gemini_conn_id)
            self._settings = ClientSettings.from_connection(connection)
        return self._settings

    @cached_property
    def client(self) -> RestClient:
        """The blocking REST client (one connection pool per hook)."""
        return RestClient(self.settings, transport=self._transport)

    def get_conn(self) -> RestClient:
        """Airflow's conventional accessor; same as :attr:`client`."""
        return self.client

    async def aget_client(self) -> AsyncRestClient:
        """The async REST client (one connection pool per hook)."""
        if self._async_client is None:
            settings = await self.asettings()
            # Checked again: a concurrent first call may have built it while this one awaited.
            if self._async_client is None:
                self._async_client = AsyncRestClient(settings, transport=self._async_transport)
        return self._async_client

    def close(self) -> None:
        """Close the blocking client's connections."""
        if "client" in self.__dict__:
            self.client.close()
            del self.__dict__["client"]

    async def aclose(self) -> None:
        """Close the async client's connections."""
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def _run(self, call: ApiCall[T]) -> T:
        return self.client.execute(call)

    async def _arun(self, call: ApiCall[T]) -> T:
        return await (await self.aget_client()).execute(call)

    def test_connection(self) -> tuple[bool, str]:
        """Make one cheap authenticated call (list one tuned model); never raises."""
        try:
            self.list_tuned_models(page_size=1)
        except Exception as exc:
            return False, str(exc)
        return True, f"Connection to {self.settings.describe()} works."

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
        model = _coerce(TunedModel, tuned_model)
        validate_new_tuned_model(model, tuned_model_id)
        try:
            return self._run(calls.create_tuned_model(model, tuned_model_id))
        except AlreadyExistsError as exc:
            if exc.attempts > 1 and tuned_model_id:
                operation = self._first_operation(tuned_model_id)
                if operation is not None:
                    return operation
            raise

    async def acreate_tuned_model(
        self, tuned_model: TunedModel | Mapping[str, Any], *, tuned_model_id: str | None = None
    ) -> Operation:
        """Async :meth:`create_tuned_model`."""
        model = _coerce(TunedModel, tuned_model)
        validate_new_tuned_model(model, tuned_model_id)
        try:
            return await self._arun(calls.create_tuned_model(model, tuned_model_id))
        except AlreadyExistsError as exc:
            if exc.attempts > 1 and tuned_model_id:
                page = await self.alist_operations(tuned_model_id, page_size=1)
                if page.operations:
                    return page.operations[0]
            raise

    def _first_operation(self, tuned_model: str) -> Operation | None:
        page = self.list_operations(tuned_model, page_size=1)
        return page.operations[0] if page.operations else None

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
        granted = _coerce(Permission, permission)
        validate_new_permission(granted)
        return self._run(calls.create_permission(tuned_model, granted))

    async def acreate_permission(
        self, tuned_model: str, permission: Permission | Mapping[str, Any]
    ) -> Permission:
        """Async :meth:`create_permission`."""
        granted = _coerce(Permission, permission)
        validate_new_permission(granted)
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

    def get_operation(self, name: str) -> Operation:
        """Get ``tunedModels/{id}/operations/{op}``."""
        return self._run(calls.get_operation(name))

    async def aget_operation(self, name: str) -> Operation:
        """Async :meth:`get_operation`."""
        return await self._arun(calls.get_operation(name))

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

    def cancel_operation(self, name: str) -> None:
        """Cancel a tuning operation (bound on the ``v1`` API only)."""
        self._run(calls.cancel_operation(name))

    async def acancel_operation(self, name: str) -> None:
        """Async :meth:`cancel_operation`."""
        await self._arun(calls.cancel_operation(name))

    def wait_for_operation(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_poll: Callable[[Operation], Any] | None = None,
    ) -> Operation:
        """Poll until the operation is done; raise if it failed or ``timeout`` passes.

        :raises OperationFailedError: the operation finished with an error.
        :raises OperationTimeoutError: not done in time (it keeps running server-side).
        """
        return poll_operation(
            lambda: self.get_operation(name),
            timeout=timeout,
            poll_interval=poll_interval,
            on_poll=on_poll or self._log_operation,
        )

    async def await_for_operation(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_OPERATION_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        on_poll: Callable[[Operation], Any] | None = None,
    ) -> Operation:
        """Async :meth:`wait_for_operation`."""
        return await apoll_operation(
            lambda: self.aget_operation(name),
            timeout=timeout,
            poll_interval=poll_interval,
            on_poll=on_poll or self._log_operation,
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


def describe_progress(operation: Operation) -> str:
    """A one-line progress report: steps, percent, epoch and latest mean loss."""
    if operation.done:
        return (
            f"done with {operation.error.status_name}: {operation.error_message}"
            if operation.error
            else "done"
        )
    metadata = operation.create_metadata
    if metadata is None:
        return "running"
    parts = [f"step {metadata.completed_steps or 0}/{metadata.total_steps or '?'}"]
    parts.append(f"{metadata.completed_percent or 0.0:.1f}%")
    if metadata.snapshots:
        last = metadata.snapshots[-1]
        parts.append(f"epoch {last.epoch or 0}")
        if last.mean_loss is not None:
            parts.append(f"mean loss {last.mean_loss:.4f}")
    return ", ".join(parts)


def _deleted_before(exc: NotFoundError, *, ignore_missing: bool) -> bool:
    """Whether a delete that got NOT_FOUND counts as done (``True``), as a no-op, or fails.

    After a repeated attempt, NOT_FOUND means an earlier attempt deleted the model.
    """
    if exc.attempts > 1:
        return True
    if ignore_missing:
        return False
    raise exc


def _coerce(model: type[T], value: Any) -> T:
    if isinstance(value, model):
        return value
    return model.model_validate(dict(value))  # type: ignore[attr-defined,no-any-return]


def _prepare_update(
    fields: TunedModel | Mapping[str, Any], update_mask: Sequence[str] | str | None
) -> tuple[TunedModel, list[str]]:
    if isinstance(fields, TunedModel):
        changes = fields
        derived = sorted(fields.model_fields_set | set(fields.model_extra or {}))
    else:
        changes = TunedModel.model_validate(dict(fields))
        derived = update_mask_for(fields)
    if isinstance(update_mask, str):
        update_mask = update_mask.split(",")
    mask = validate_tuned_model_update(changes, update_mask if update_mask is not None else derived)
    return changes, mask


def _request(
    request: GenerateInput, generation_config: GenerationConfig | Mapping[str, Any] | None
) -> GenerateContentRequest:
    if isinstance(request, str):
        built = GenerateContentRequest.from_prompt(request)
    else:
        built = _coerce(GenerateContentRequest, request)
    if generation_config is not None:
        built = built.model_copy(
            update={"generation_config": _coerce(GenerationConfig, generation_config)}
        )
    return built


def _role(role: Role | str) -> str:
    name = role.value if isinstance(role, Role) else str(role).upper()
    if name not in (Role.READER.value, Role.WRITER.value):
        from airflow_provider_tunedmodels.core.errors import InvalidRequestError

        raise InvalidRequestError(
            "the permission update",
            [f"role {name!r}: must be READER or WRITER; use transferOwnership for OWNER"],
        )
    return name


async def _aget_connection(conn_id: str) -> Any:
    aget = getattr(BaseHook, "aget_connection", None)
    if aget is not None:
        return await aget(conn_id)
    from asgiref.sync import sync_to_async

    return await sync_to_async(BaseHook.get_connection)(conn_id)
