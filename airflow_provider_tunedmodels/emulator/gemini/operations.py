"""Long-running operations of tuned models: get, list and cancel.

Each tuned model has exactly one operation, ``tunedModels/{id}/operations/{op}``,
the one its create call returned; it lives as long as the model. Readers of the
model may read its operation; writers may cancel it.

Cancelling a running tuning stops it at once: the operation is done with the
error ``CANCELLED`` (code 1) and the model becomes ``FAILED``, keeping the
snapshots of the steps completed so far, so it can still be inspected and
deleted. Cancelling a finished operation changes nothing and succeeds.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.auth import Identity
from airflow_provider_tunedmodels.emulator.errors import not_found
from airflow_provider_tunedmodels.emulator.gemini import render
from airflow_provider_tunedmodels.emulator.gemini.access import direct_role
from airflow_provider_tunedmodels.emulator.gemini.store import TunedModelRecord
from airflow_provider_tunedmodels.emulator.gemini.tuned_models import TunedModels
from airflow_provider_tunedmodels.emulator.listing import paginate

__all__ = ["Operations"]


class Operations:
    """Operations as views of their tuned models."""

    def __init__(self, tuned_models: TunedModels) -> None:
        self.tuned_models = tuned_models

    def _find(
        self, model_id: str, operation_id: str, identity: Identity, minimum: str
    ) -> TunedModelRecord:
        record = self.tuned_models.store.get(model_id)
        if record is None or record.operation_id != operation_id:
            raise not_found(
                f"Operation tunedModels/{model_id}/operations/{operation_id} does not exist."
            )
        return self.tuned_models.authorized(model_id, identity, minimum)

    def render(self, record: TunedModelRecord) -> dict[str, Any]:
        """The operation of ``record`` as it stands now."""
        progress = self.tuned_models.progress(record)
        return render.operation(
            record, progress, self.tuned_models.operation_error(record, progress)
        )

    def get(self, model_id: str, operation_id: str, identity: Identity) -> dict[str, Any]:
        """``operations.get``."""
        return self.render(self._find(model_id, operation_id, identity, "READER"))

    def list_page(
        self,
        model_id: str | None,
        identity: Identity,
        *,
        page_size: int,
        page_token: str | None,
    ) -> dict[str, Any]:
        """``operations.list`` for one tuned model, or for all visible ones."""
        if model_id is not None:
            records = [self.tuned_models.authorized(model_id, identity, "READER")]
        else:
            records = [
                record
                for record in self.tuned_models.store.models.values()
                if _readable(record, identity)
            ]
        page, next_token = paginate(
            records,
            lambda record: (record.create_time, record.model_id),
            page_size=page_size,
            page_token=page_token,
            query=("operations", model_id or "", identity.email.lower()),
        )
        out: dict[str, Any] = {}
        if page:
            out["operations"] = [self.render(record) for record in page]
        if next_token:
            out["nextPageToken"] = next_token
        return out

    def cancel(self, model_id: str, operation_id: str, identity: Identity) -> dict[str, Any]:
        """``operations.cancel``: stop a running tuning."""
        record = self._find(model_id, operation_id, identity, "WRITER")
        progress = self.tuned_models.progress(record)
        if progress.outcome is None:
            record.timeline.cancel_time = self.tuned_models.clock()
            record.touch()
            self.tuned_models.store.save()
        return {}


def _readable(record: TunedModelRecord, identity: Identity) -> bool:
    return direct_role(record, identity.email) is not None
