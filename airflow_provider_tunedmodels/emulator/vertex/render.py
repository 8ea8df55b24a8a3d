"""Proto3 JSON renderings of Vertex AI resources: tuning jobs, operations, models, contexts.

Keys are camelCase, unset and default values omitted, int64 values strings,
enums names (numbers when the caller asked ``$alt=json;enum-encoding=int``), and
timestamps RFC 3339 UTC. ``@type`` URLs follow the API version that created the
operation (``google.cloud.aiplatform.v1`` or ``.v1beta1``): the official clients
unpack them strictly.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from airflow_provider_tunedmodels.emulator.schemas import render_message
from airflow_provider_tunedmodels.emulator.vertex.schedule import (
    Checkpoint,
    Snapshot,
    checkpoints,
)
from airflow_provider_tunedmodels.emulator.vertex.schemas import packed_tuning_job
from airflow_provider_tunedmodels.emulator.vertex.schemas import tuning_job as tuning_job_schema
from airflow_provider_tunedmodels.emulator.vertex.store import (
    ModelRecord,
    ModelVersion,
    OperationRecord,
    TuningJobRecord,
)
from airflow_provider_tunedmodels.emulator.wire import format_timestamp

__all__ = [
    "CANCELLED_MESSAGE",
    "ENDPOINT_FAILURE_MESSAGE",
    "EXPIRED_MESSAGE",
    "experiment_context",
    "experiment_id",
    "job_error",
    "model",
    "operation",
    "serving_checkpoint",
    "tuning_job",
]

#: The recorded error of a job whose model was uploaded but not deployed.
ENDPOINT_FAILURE_MESSAGE = (
    "Failed to create endpoint. Tuned model is uploaded and can be accessed through Model Registry."
)
#: Error of a cancelled job (code 1).
CANCELLED_MESSAGE = "The tuning job was cancelled."
#: Error of the operation of an expired job (code 4).
EXPIRED_MESSAGE = "The tuning job expired before it could start."
_TYPE_PREFIX = "type.googleapis.com/google.cloud.aiplatform."


def job_error(job: TuningJobRecord, snap: Snapshot) -> dict[str, Any] | None:
    """The job's ``google.rpc.Status``: only when it is FAILED or CANCELLED."""
    if snap.state == "JOB_STATE_CANCELLED":
        return {"code": 1, "message": CANCELLED_MESSAGE}
    if snap.state != "JOB_STATE_FAILED":
        return None
    if job.outcome == "dataset_failure":
        return {"code": 3, "message": job.failure_message}
    return {"code": 13, "message": ENDPOINT_FAILURE_MESSAGE}


def serving_checkpoint(job: TuningJobRecord, default_checkpoint_id: str | None) -> int:
    """Index of the checkpoint ``tunedModel.endpoint`` serves (the default one)."""
    plan = checkpoints(job)
    for index, checkpoint in enumerate(plan):
        if checkpoint.checkpoint_id == default_checkpoint_id:
            return index
    return len(plan) - 1


def tuning_job(
    job: TuningJobRecord,
    snap: Snapshot,
    *,
    api_version: str,
    default_checkpoint_id: str | None = None,
    enum_numbers: bool = False,
    packed: bool = False,
) -> dict[str, Any]:
    """The ``TuningJob`` resource as ``api_version`` returns it.

    ``packed``: as an operation's ``response`` carries it, with the fields of the
    published proto only (see :func:`.schemas.packed_tuning_job`).
    """
    out: dict[str, Any] = {"name": job.name, **job.request}
    if job.source_model is not None:
        out["preTunedModel"] = {**job.request["preTunedModel"], "baseModel": job.base_model}
    out["state"] = snap.state
    out["createTime"] = format_timestamp(job.create_time)
    if snap.started and job.start_time is not None:
        out["startTime"] = format_timestamp(job.start_time)
    if snap.end_time is not None:
        out["endTime"] = format_timestamp(snap.end_time)
    out["updateTime"] = format_timestamp(snap.update_time)
    out["error"] = job_error(job, snap)
    if snap.started:
        out["experiment"] = f"{job.parent}/metadataStores/default/contexts/{job.experiment_id}"
    out["tunedModel"] = _tuned_model(job, snap, default_checkpoint_id)
    if snap.stats_ready:
        out["tuningDataStats"] = job.stats
    out["tuningJobState"] = snap.sub_state
    out["tuningJobMetadata"] = _metadata(job, snap)
    schema = packed_tuning_job(api_version) if packed else tuning_job_schema(api_version)
    return render_message(schema, out, enum_numbers=enum_numbers, keep_unknown=False)


def _tuned_model(
    job: TuningJobRecord, snap: Snapshot, default_checkpoint_id: str | None
) -> dict[str, Any] | None:
    plan = checkpoints(job)
    done = [
        (checkpoint, endpoint)
        for checkpoint, endpoint in zip(plan, job.endpoint_ids, strict=True)
        if checkpoint.step <= snap.completed_steps
    ]
    if snap.state == "JOB_STATE_SUCCEEDED":
        serving = job.endpoint_ids[serving_checkpoint(job, default_checkpoint_id)]
        out: dict[str, Any] = {"model": job.model_name, "endpoint": job.endpoint_name(serving)}
        if not job.export_last_only:
            out["checkpoints"] = [_checkpoint(job, c, e) for c, e in done]
        return out
    if snap.state == "JOB_STATE_FAILED" and job.outcome == "endpoint_failure":
        return {"model": job.model_name}
    if done and not job.export_last_only and job.outcome != "endpoint_failure":
        return {"checkpoints": [_checkpoint(job, c, e) for c, e in done]}
    return None


def _checkpoint(job: TuningJobRecord, checkpoint: Checkpoint, endpoint_id: str) -> dict[str, Any]:
    return {
        "checkpointId": checkpoint.checkpoint_id,
        "epoch": str(checkpoint.epoch),
        "step": str(checkpoint.step),
        "endpoint": job.endpoint_name(endpoint_id),
    }


def _metadata(job: TuningJobRecord, snap: Snapshot) -> dict[str, Any] | None:
    if not snap.completed_steps:
        return None
    epochs = snap.completed_steps // job.steps_per_epoch
    out = {"completedStepCount": str(snap.completed_steps)}
    if epochs:
        out = {"completedEpochCount": str(epochs), **out}
    return out


def operation(
    op: OperationRecord, job: TuningJobRecord, snap: Snapshot, job_json: dict[str, Any]
) -> dict[str, Any]:
    """The ``rebaseTunedModel`` operation, typed for the API version that created it."""
    prefix = f"{_TYPE_PREFIX}{op.api_version}."
    out: dict[str, Any] = {
        "name": f"{job.name}/operations/{op.operation_id}",
        "metadata": {
            "@type": prefix + "RebaseTunedModelOperationMetadata",
            "genericMetadata": {
                "createTime": format_timestamp(op.create_time),
                "updateTime": format_timestamp(max(op.create_time, snap.update_time)),
            },
        },
    }
    if snap.end_time is None:
        return out
    out["done"] = True
    error = job_error(job, snap)
    if snap.state == "JOB_STATE_EXPIRED":
        error = {"code": 4, "message": EXPIRED_MESSAGE}
    if error is not None:
        out["error"] = error
    else:
        out["response"] = {"@type": prefix + "TuningJob", **job_json}
    return out


def model(
    record: ModelRecord,
    version: ModelVersion,
    job: TuningJobRecord,
    *,
    version_time: float,
    newest: bool,
) -> dict[str, Any]:
    """A tuned ``Model`` version of the Model Registry."""
    plan = checkpoints(job)
    out: dict[str, Any] = {
        "name": record.name,
        "displayName": record.display_name,
        "description": record.description,
        "versionId": str(version.version_id),
        "versionAliases": ["default"] if newest else [],
        "versionCreateTime": format_timestamp(version_time),
        "versionUpdateTime": format_timestamp(max(version_time, version.update_time or 0)),
        "labels": record.labels,
        "modelSourceInfo": {"sourceType": "GENIE"},
        "baseModelSource": {"genieSource": {"baseModelUri": job.base_model}},
    }
    if job.outcome == "succeeded":
        serving = serving_checkpoint(job, version.default_checkpoint_id)
        out["deployedModels"] = [
            {
                "endpoint": job.endpoint_name(job.endpoint_ids[index]),
                "checkpointId": checkpoint.checkpoint_id,
            }
            for index, checkpoint in enumerate(plan)
        ]
        out["checkpoints"] = [
            {"checkpointId": c.checkpoint_id, "epoch": str(c.epoch), "step": str(c.step)}
            for c in plan
        ]
        out["defaultCheckpointId"] = plan[serving].checkpoint_id
    return {key: value for key, value in out.items() if value not in ("", [], {}, None)}


def experiment_context(job: TuningJobRecord) -> dict[str, Any]:
    """The experiment ``Context`` a started job records its runs in."""
    created = format_timestamp(job.start_time or job.create_time)
    return {
        "name": f"{job.parent}/metadataStores/default/contexts/{job.experiment_id}",
        "displayName": job.experiment_id,
        "etag": job.job_id[-8:],
        "createTime": created,
        "updateTime": created,
        "schemaTitle": "system.Experiment",
        "schemaVersion": "0.0.1",
        "metadata": {"experiment_deleted": False},
    }


def experiment_id(create_time: float) -> str:
    """``tuning-experiment-{UTC timestamp to the microsecond}``, as recorded jobs name it."""
    moment = datetime.fromtimestamp(create_time, tz=timezone.utc)
    return "tuning-experiment-" + moment.strftime("%Y%m%d%H%M%S%f")
