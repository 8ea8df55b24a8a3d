"""``tuningJobs.rebaseTunedModel``: its request and the long-running operation it returns.

The operation itself is the generic ``google.longrunning.Operation`` of
:mod:`airflow_provider_tunedmodels.models.gemini.operation`; what is Vertex-specific is
the ``@type`` of its payloads, which follows the API version that created it
(``google.cloud.aiplatform.v1.TuningJob`` or ``...v1beta1.TuningJob``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from airflow_provider_tunedmodels.models._wire import WireModel
from airflow_provider_tunedmodels.models.gemini.operation import Operation, Status
from airflow_provider_tunedmodels.models.vertex.tuning_job import TuningJob

__all__ = [
    "API_VERSIONS",
    "GcsDestination",
    "GenericOperationMetadata",
    "ListTuningOperationsResponse",
    "RebaseTunedModelOperationMetadata",
    "RebaseTunedModelRequest",
    "TunedModelRef",
    "TuningOperation",
    "rebase_metadata_type",
    "tuning_job_type",
]

#: The Vertex AI REST API versions this provider speaks.
API_VERSIONS = ("v1", "v1beta1")


def _type_url(api_version: str, message: str) -> str:
    if api_version not in API_VERSIONS:
        raise ValueError(f"API version {api_version!r} is not one of {', '.join(API_VERSIONS)}")
    return f"type.googleapis.com/google.cloud.aiplatform.{api_version}.{message}"


def rebase_metadata_type(api_version: str) -> str:
    """``@type`` of a rebase operation's ``metadata`` on ``api_version``."""
    return _type_url(api_version, "RebaseTunedModelOperationMetadata")


def tuning_job_type(api_version: str) -> str:
    """``@type`` of a finished rebase operation's ``response`` on ``api_version``."""
    return _type_url(api_version, "TuningJob")


_REBASE_METADATA_TYPES = frozenset(rebase_metadata_type(v) for v in API_VERSIONS)
_TUNING_JOB_TYPES = frozenset(tuning_job_type(v) for v in API_VERSIONS)


class TunedModelRef(WireModel):
    """What to rebase: set exactly one of a Model, a tuning job, or a legacy pipeline job."""

    tuned_model: str | None = None
    tuning_job: str | None = None
    pipeline_job: str | None = None

    @classmethod
    def from_name(cls, name: str) -> TunedModelRef:
        """Pick the member from a resource name (``.../models/``, ``.../tuningJobs/``, ...)."""
        if "/tuningJobs/" in name:
            return cls(tuning_job=name)
        if "/pipelineJobs/" in name:
            return cls(pipeline_job=name)
        return cls(tuned_model=name)


class GcsDestination(WireModel):
    """A Cloud Storage directory (``gs://bucket/dir/``) to write artifacts to."""

    output_uri_prefix: str | None = None


class RebaseTunedModelRequest(WireModel):
    """Body of ``tuningJobs:rebaseTunedModel``.

    :ivar tuning_job: optional overrides of the new job's configuration.
    :ivar deploy_to_same_endpoint: replace the serving model on its endpoint instead
        of deploying to a new one.
    """

    tuned_model_ref: TunedModelRef | None = None
    tuning_job: TuningJob | None = None
    artifact_destination: GcsDestination | None = None
    deploy_to_same_endpoint: bool | None = None


class GenericOperationMetadata(WireModel):
    """Vertex AI's common operation metadata."""

    partial_failures: list[Status] | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None


class RebaseTunedModelOperationMetadata(WireModel):
    """``metadata`` of a rebase operation."""

    type_url: str | None = Field(default=None, alias="@type")
    generic_metadata: GenericOperationMetadata | None = None


class TuningOperation(Operation):
    """A Vertex AI tuning operation (today: ``rebaseTunedModel``)."""

    @property
    def rebase_metadata(self) -> RebaseTunedModelOperationMetadata | None:
        """The metadata, if it is ``RebaseTunedModelOperationMetadata`` (either version)."""
        if not self.metadata or self.metadata.get("@type") not in _REBASE_METADATA_TYPES:
            return None
        return RebaseTunedModelOperationMetadata.model_validate(self.metadata)

    @property
    def tuning_job(self) -> TuningJob | None:
        """The new tuning job of a finished rebase, if ``response`` carries one."""
        if not self.response or self.response.get("@type") not in _TUNING_JOB_TYPES:
            return None
        payload: dict[str, Any] = {k: v for k, v in self.response.items() if k != "@type"}
        return TuningJob.model_validate(payload)


class ListTuningOperationsResponse(WireModel):
    """One page of a tuning job's operations."""

    operations: list[TuningOperation] | None = None
    next_page_token: str | None = None
    unreachable: list[str] | None = None

    def page_items(self) -> list[TuningOperation]:
        return list(self.operations or [])
