"""A Vertex AI Model Registry ``Model``: the tuned model a successful job registers.

Only what tuning pipelines read or change is modelled; every other field is kept
as received and written back unchanged.
"""

from __future__ import annotations

from datetime import datetime

from airflow_provider_tunedmodels.models._wire import Int64, WireModel

__all__ = ["MUTABLE_MODEL_FIELDS", "Model", "ModelCheckpoint"]

#: Wire names of the Model fields :meth:`VertexTuningJobsHook.update_model` may change.
MUTABLE_MODEL_FIELDS = frozenset({"displayName", "description", "labels", "defaultCheckpointId"})


class ModelCheckpoint(WireModel):
    """A checkpoint of a tuned model version."""

    checkpoint_id: str | None = None
    epoch: Int64 | None = None
    step: Int64 | None = None


class Model(WireModel):
    """A model in the Model Registry (``projects/*/locations/*/models/{id}[@version]``).

    :ivar default_checkpoint_id: the checkpoint the model's endpoint serves; changing
        it re-points ``tunedModel.endpoint`` of the tuning job.
    """

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    version_id: str | None = None
    version_aliases: list[str] | None = None
    version_description: str | None = None
    version_create_time: datetime | None = None
    version_update_time: datetime | None = None
    default_checkpoint_id: str | None = None
    checkpoints: list[ModelCheckpoint] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    etag: str | None = None
