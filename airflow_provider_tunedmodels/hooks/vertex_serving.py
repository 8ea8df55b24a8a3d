"""The Vertex AI methods around a tuning job: rebasing, its operations, the registered
model, and generating with the endpoint that serves it.

They are mixed into :class:`~airflow_provider_tunedmodels.hooks.vertex_ai.VertexTuningJobsHook`,
which supplies the connection and the REST clients; this module keeps that one
hook's file small.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_tunedmodels.core.paging import aiter_items, iter_items
from airflow_provider_tunedmodels.hooks import vertex_calls as calls
from airflow_provider_tunedmodels.hooks.operations import OperationCalls, OperationMethods
from airflow_provider_tunedmodels.models.generation import (
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
)
from airflow_provider_tunedmodels.models.problems import update_mask_for
from airflow_provider_tunedmodels.models.vertex.model import Model
from airflow_provider_tunedmodels.models.vertex.operation import (
    ListTuningOperationsResponse,
    RebaseTunedModelRequest,
    TunedModelRef,
    TuningOperation,
)
from airflow_provider_tunedmodels.models.vertex.rules import coerce_message
from airflow_provider_tunedmodels.models.vertex.validation import (
    validate_model_update,
    validate_rebase_request,
)

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.core.calls import ApiCall
    from airflow_provider_tunedmodels.core.settings import ClientSettings

__all__ = ["VertexServingMethods"]

log = logging.getLogger(__name__)

T = TypeVar("T")

GenerateInput = str | GenerateContentRequest | Mapping[str, Any]
ConfigInput = GenerationConfig | Mapping[str, Any] | None
RebaseInput = RebaseTunedModelRequest | Mapping[str, Any] | str


class VertexServingMethods(OperationMethods[TuningOperation]):
    """Rebase, operations, Model Registry and generation; each sync and ``a``-prefixed async.

    Getting, cancelling and waiting for an operation come from
    :class:`~airflow_provider_tunedmodels.hooks.operations.OperationMethods`; once a
    rebase operation is done, its ``tuning_job`` is the rebased job.
    """

    operation_calls = OperationCalls(calls.get_operation, calls.cancel_operation)

    if TYPE_CHECKING:

        @property
        def settings(self) -> ClientSettings: ...

        async def asettings(self) -> ClientSettings: ...

        def parent(self, location: str | None = None) -> str: ...

        async def aparent(self, location: str | None = None) -> str: ...

        def _stream(self, call: ApiCall[T]) -> Iterator[T]: ...

        def _astream(self, call: ApiCall[T]) -> AsyncIterator[T]: ...

    # --- rebase and its operations -------------------------------------------------------------

    def rebase_tuned_model(
        self, request: RebaseInput, *, location: str | None = None
    ) -> TuningOperation:
        """Re-tune a tuned model on a newer base model; returns the long-running operation.

        :param request: a ``RebaseTunedModelRequest`` (or its JSON), or simply the name of
            the Model, tuning job or pipeline job to rebase.
        """
        body = _rebase_request(request, self.settings.api_version)
        return self._run(calls.rebase_tuned_model(self.parent(location), body))

    async def arebase_tuned_model(
        self, request: RebaseInput, *, location: str | None = None
    ) -> TuningOperation:
        """Async :meth:`rebase_tuned_model`."""
        body = _rebase_request(request, (await self.asettings()).api_version)
        return await self._arun(calls.rebase_tuned_model(await self.aparent(location), body))

    def list_operations(
        self,
        tuning_job: str,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> ListTuningOperationsResponse:
        """One page of a tuning job's operations."""
        return self._run(calls.list_operations(tuning_job, page_size, page_token, filter))

    async def alist_operations(
        self,
        tuning_job: str,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> ListTuningOperationsResponse:
        """Async :meth:`list_operations`."""
        return await self._arun(calls.list_operations(tuning_job, page_size, page_token, filter))

    def iter_operations(
        self, tuning_job: str, *, page_size: int | None = None
    ) -> Iterator[TuningOperation]:
        """Every operation of a tuning job, following page tokens."""
        return iter_items(
            lambda token: self.list_operations(tuning_job, page_size=page_size, page_token=token)
        )

    def aiter_operations(
        self, tuning_job: str, *, page_size: int | None = None
    ) -> AsyncIterator[TuningOperation]:
        """Async :meth:`iter_operations`."""
        return aiter_items(
            lambda token: self.alist_operations(tuning_job, page_size=page_size, page_token=token)
        )

    def _log_operation(self, operation: TuningOperation) -> None:
        state = "done" if operation.done else "running"
        if operation.error is not None:
            state = f"done with {operation.error.status_name}: {operation.error_message}"
        log.info("%s: %s", operation.name, state)

    # --- Model Registry ------------------------------------------------------------------------

    def get_model(self, name: str) -> Model:
        """Get a registered model, e.g. ``tunedModel.model`` of a finished job."""
        return self._run(calls.get_model(name))

    async def aget_model(self, name: str) -> Model:
        """Async :meth:`get_model`."""
        return await self._arun(calls.get_model(name))

    def update_model(
        self,
        name: str,
        fields: Model | Mapping[str, Any],
        *,
        update_mask: Sequence[str] | str | None = None,
    ) -> Model:
        """Change a model's display name, description, labels or default checkpoint.

        :param fields: the new values; their keys (snake_case or camelCase) are the update
            mask unless ``update_mask`` names it. Changing ``defaultCheckpointId`` re-points
            the endpoint that serves the model.
        """
        changes, mask = _model_update(fields, update_mask)
        return self._run(calls.update_model(name, changes, mask))

    async def aupdate_model(
        self,
        name: str,
        fields: Model | Mapping[str, Any],
        *,
        update_mask: Sequence[str] | str | None = None,
    ) -> Model:
        """Async :meth:`update_model`."""
        changes, mask = _model_update(fields, update_mask)
        return await self._arun(calls.update_model(name, changes, mask))

    # --- generation ----------------------------------------------------------------------------

    def generate_content(
        self, target: str, request: GenerateInput, *, generation_config: ConfigInput = None
    ) -> GenerateContentResponse:
        """Generate with a tuned model's endpoint, or a publisher model.

        :param target: ``projects/*/locations/*/endpoints/*`` (a job's ``tunedModel.endpoint``)
            or ``projects/*/locations/*/publishers/google/models/{model}``.
        :param request: a prompt string, a ``GenerateContentRequest`` or its JSON.
        """
        body = GenerateContentRequest.coerce(request, generation_config)
        return self._run(calls.generate_content(target, body))

    async def agenerate_content(
        self, target: str, request: GenerateInput, *, generation_config: ConfigInput = None
    ) -> GenerateContentResponse:
        """Async :meth:`generate_content`."""
        body = GenerateContentRequest.coerce(request, generation_config)
        return await self._arun(calls.generate_content(target, body))

    def stream_generate_content(
        self, target: str, request: GenerateInput, *, generation_config: ConfigInput = None
    ) -> Iterator[GenerateContentResponse]:
        """Yield response chunks as the server streams them (``alt=sse``)."""
        body = GenerateContentRequest.coerce(request, generation_config)
        return self._stream(calls.stream_generate_content(target, body))

    def astream_generate_content(
        self, target: str, request: GenerateInput, *, generation_config: ConfigInput = None
    ) -> AsyncIterator[GenerateContentResponse]:
        """Async :meth:`stream_generate_content`."""
        body = GenerateContentRequest.coerce(request, generation_config)
        return self._astream(calls.stream_generate_content(target, body))


def _rebase_request(request: RebaseInput, api_version: str) -> RebaseTunedModelRequest:
    if isinstance(request, str):
        parsed = RebaseTunedModelRequest(tuned_model_ref=TunedModelRef.from_name(request))
    else:
        parsed = coerce_message(RebaseTunedModelRequest, request, "the rebase request")
    validate_rebase_request(parsed, api_version=api_version)
    return parsed


def _model_update(
    fields: Model | Mapping[str, Any], update_mask: Sequence[str] | str | None
) -> tuple[Model, list[str]]:
    if isinstance(fields, Model):
        changes = fields
        derived = sorted(fields.model_fields_set | set(fields.model_extra or {}))
    else:
        changes = coerce_message(Model, fields, "the model update")
        derived = update_mask_for(fields)
    if isinstance(update_mask, str):
        update_mask = update_mask.split(",")
    mask = validate_model_update(changes, update_mask if update_mask is not None else derived)
    return changes, mask
