"""``google.longrunning.Operation`` as the tuning API returns it, and its payloads."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from airflow_provider_tunedmodels.core.errors import RPC_CODE_NAMES
from airflow_provider_tunedmodels.models._wire import WireModel
from airflow_provider_tunedmodels.models.gemini.tuned_model import TunedModel, TuningSnapshot

__all__ = [
    "CREATE_TUNED_MODEL_METADATA_TYPE",
    "TUNED_MODEL_TYPE",
    "CreateTunedModelMetadata",
    "ListOperationsResponse",
    "Operation",
    "Status",
]

_TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1beta."
#: ``@type`` of an operation's ``metadata`` while a tuned model is created.
CREATE_TUNED_MODEL_METADATA_TYPE = _TYPE_PREFIX + "CreateTunedModelMetadata"
#: ``@type`` of a finished create operation's ``response``.
TUNED_MODEL_TYPE = _TYPE_PREFIX + "TunedModel"


class Status(WireModel):
    """``google.rpc.Status``: the error of a failed operation."""

    code: int | None = None
    message: str | None = None
    details: list[dict[str, Any]] | None = None

    @property
    def status_name(self) -> str:
        """The ``google.rpc.Code`` name, e.g. ``INVALID_ARGUMENT``."""
        return RPC_CODE_NAMES.get(self.code or 0, "OK" if not self.code else str(self.code))


class CreateTunedModelMetadata(WireModel):
    """Progress of a ``tunedModels.create`` operation."""

    type_url: str | None = Field(default=None, alias="@type")
    tuned_model: str | None = None
    total_steps: int | None = None
    completed_steps: int | None = None
    completed_percent: float | None = None
    snapshots: list[TuningSnapshot] | None = None


class Operation(WireModel):
    """A long-running operation (``done`` absent means not done yet)."""

    name: str | None = None
    metadata: dict[str, Any] | None = None
    done: bool | None = None
    error: Status | None = None
    response: dict[str, Any] | None = None

    @property
    def error_code(self) -> int | None:
        return self.error.code if self.error else None

    @property
    def error_message(self) -> str:
        return (self.error.message or "") if self.error else ""

    @property
    def create_metadata(self) -> CreateTunedModelMetadata | None:
        """The metadata, if it is ``CreateTunedModelMetadata``."""
        if not self.metadata or self.metadata.get("@type") != CREATE_TUNED_MODEL_METADATA_TYPE:
            return None
        return CreateTunedModelMetadata.model_validate(self.metadata)

    @property
    def tuned_model_name(self) -> str | None:
        """The tuned model this operation creates: from metadata, else from the operation name."""
        metadata = self.create_metadata
        if metadata and metadata.tuned_model:
            return metadata.tuned_model
        if self.name and "/operations/" in self.name:
            return self.name.split("/operations/", 1)[0]
        return None

    @property
    def tuned_model(self) -> TunedModel | None:
        """The finished tuned model, if ``response`` carries one."""
        if not self.response or self.response.get("@type") != TUNED_MODEL_TYPE:
            return None
        payload = {k: v for k, v in self.response.items() if k != "@type"}
        return TunedModel.model_validate(payload)


class ListOperationsResponse(WireModel):
    """One page of ``operations.list``."""

    operations: list[Operation] | None = None
    next_page_token: str | None = None
    unreachable: list[str] | None = None

    def page_items(self) -> list[Operation]:
        return list(self.operations or [])
