"""Every Vertex AI method the tuning hook wraps, described once as an :class:`ApiCall`.

The sync and async hook methods both run these descriptions, so paths, query
parameters, bodies and retry safety are defined in exactly one place. Names are
full resource names, checked against their exact pattern before anything is
sent. Which host a call goes to is decided by the hook from the location in the
path (see :func:`location_of`).
"""

from __future__ import annotations

import re
from typing import Any

from airflow_provider_tunedmodels.core.calls import ApiCall, page_call
from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.models.generation import (
    GenerateContentRequest,
    GenerateContentResponse,
)
from airflow_provider_tunedmodels.models.vertex.limits import MAX_INT32
from airflow_provider_tunedmodels.models.vertex.model import Model
from airflow_provider_tunedmodels.models.vertex.names import (
    generation_target,
    parse_model_name,
    parse_operation_name,
    parse_tuning_job_name,
)
from airflow_provider_tunedmodels.models.vertex.operation import (
    ListTuningOperationsResponse,
    RebaseTunedModelRequest,
    TuningOperation,
)
from airflow_provider_tunedmodels.models.vertex.tuning_job import (
    ListTuningJobsResponse,
    TuningJob,
)

__all__ = [
    "OUTPUT_ONLY_FIELDS",
    "cancel_operation",
    "cancel_tuning_job",
    "create_body",
    "create_tuning_job",
    "generate_content",
    "get_model",
    "get_operation",
    "get_tuning_job",
    "list_operations",
    "list_tuning_jobs",
    "location_of",
    "rebase_tuned_model",
    "stream_generate_content",
    "update_model",
]

#: TuningJob fields the server fills in; they are not sent on create.
OUTPUT_ONLY_FIELDS = frozenset(
    {
        "name",
        "state",
        "tuningJobState",
        "createTime",
        "startTime",
        "endTime",
        "updateTime",
        "error",
        "experiment",
        "tunedModel",
        "tuningDataStats",
        "tuningJobMetadata",
        "evaluateDatasetRuns",
        "pipelineJob",
        "gcsMetricsUri",
    }
)

_LOCATION = re.compile(r"projects/[^/]+/locations/(?P<location>[^/:]+)")


def location_of(path: str) -> str | None:
    """The location a call's path addresses (``projects/p/locations/{location}/...``)."""
    match = _LOCATION.match(path)
    return match["location"] if match else None


def _ignore(_: Any) -> None:
    return None


def _page_size(page_size: int | None) -> int | None:
    if page_size is not None and not 1 <= page_size <= MAX_INT32:
        raise InvalidRequestError(
            "list request", [f"pageSize: {page_size} is outside 1-{MAX_INT32}"]
        )
    return page_size


# --- tuning jobs -----------------------------------------------------------------------------


def create_body(job: TuningJob) -> dict[str, Any]:
    """What a create sends: the job's wire form without output-only fields."""
    return {k: v for k, v in job.to_wire().items() if k not in OUTPUT_ONLY_FIELDS}


def create_tuning_job(parent: str, body: dict[str, Any]) -> ApiCall[TuningJob]:
    """``POST {parent}/tuningJobs``: never repeated once it may have reached the server.

    Vertex AI takes no client-chosen id or request id, so a repeat would start (and
    bill) a second job; the hook looks a lost create up by its run-key label instead.
    """
    return ApiCall("POST", f"{parent}/tuningJobs", TuningJob.from_wire, body=body, idempotent=False)


def get_tuning_job(name: str) -> ApiCall[TuningJob]:
    return ApiCall("GET", str(parse_tuning_job_name(name)), TuningJob.from_wire)


def list_tuning_jobs(
    parent: str, page_size: int | None, page_token: str | None, filter: str | None
) -> ApiCall[ListTuningJobsResponse]:
    return page_call(
        f"{parent}/tuningJobs",
        ListTuningJobsResponse.from_wire,
        _page_size(page_size),
        page_token,
        filter=filter,
    )


def cancel_tuning_job(name: str) -> ApiCall[None]:
    """Best-effort and asynchronous; repeating it changes nothing, so it is safe to repeat."""
    return ApiCall("POST", f"{parse_tuning_job_name(name)}:cancel", _ignore, body={})


def rebase_tuned_model(parent: str, request: RebaseTunedModelRequest) -> ApiCall[TuningOperation]:
    """Starts a new tuning job, so it is never repeated once it may have reached the server."""
    return ApiCall(
        "POST",
        f"{parent}/tuningJobs:rebaseTunedModel",
        TuningOperation.from_wire,
        body=request.to_wire(),
        idempotent=False,
    )


# --- operations ------------------------------------------------------------------------------


def get_operation(name: str) -> ApiCall[TuningOperation]:
    return ApiCall("GET", str(parse_operation_name(name)), TuningOperation.from_wire)


def list_operations(
    tuning_job: str, page_size: int | None, page_token: str | None, filter: str | None
) -> ApiCall[ListTuningOperationsResponse]:
    return page_call(
        f"{parse_tuning_job_name(tuning_job)}/operations",
        ListTuningOperationsResponse.from_wire,
        _page_size(page_size),
        page_token,
        filter=filter,
    )


def cancel_operation(name: str) -> ApiCall[None]:
    return ApiCall("POST", f"{parse_operation_name(name)}:cancel", _ignore)


# --- Model Registry and generation -----------------------------------------------------------


def get_model(name: str) -> ApiCall[Model]:
    return ApiCall("GET", str(parse_model_name(name)), Model.from_wire)


def update_model(name: str, changes: Model, update_mask: list[str]) -> ApiCall[Model]:
    """``PATCH``: repeating the same mask and values gives the same result."""
    body = changes.to_wire()
    body.pop("name", None)
    return ApiCall(
        "PATCH",
        str(parse_model_name(name)),
        Model.from_wire,
        params={"updateMask": ",".join(update_mask)},
        body=body,
    )


def generate_content(
    target: str, request: GenerateContentRequest
) -> ApiCall[GenerateContentResponse]:
    """Generation has no side effects, so it is safe to repeat."""
    return ApiCall(
        "POST",
        f"{generation_target(target)}:generateContent",
        GenerateContentResponse.from_wire,
        body=request.to_wire(),
    )


def stream_generate_content(
    target: str, request: GenerateContentRequest
) -> ApiCall[GenerateContentResponse]:
    return ApiCall(
        "POST",
        f"{generation_target(target)}:streamGenerateContent",
        GenerateContentResponse.from_wire,
        params={"alt": "sse"},
        body=request.to_wire(),
    )
