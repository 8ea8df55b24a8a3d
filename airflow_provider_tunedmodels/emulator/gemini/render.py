"""Proto3 JSON renderings of the emulator's resources.

Keys are camelCase, unset and default values are omitted, int64 values are
strings, enums are names and ``@type`` URLs are the exact v1beta ones: the
official clients parse operations strictly and reject anything else.
"""

from __future__ import annotations

import math
from typing import Any

from airflow_provider_tunedmodels.emulator.gemini.catalog import base_model
from airflow_provider_tunedmodels.emulator.gemini.store import PermissionRecord, TunedModelRecord
from airflow_provider_tunedmodels.emulator.gemini.training import Progress, epoch_of_step
from airflow_provider_tunedmodels.emulator.wire import float32, format_timestamp

__all__ = [
    "CREATE_METADATA_TYPE",
    "MAX_SNAPSHOTS",
    "TUNED_MODEL_TYPE",
    "TYPE_PREFIX",
    "base_model_version",
    "create_metadata",
    "operation",
    "permission",
    "snapshots_until",
    "tuned_model",
]


TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1beta."
#: ``@type`` of the create operation's metadata.
CREATE_METADATA_TYPE = TYPE_PREFIX + "CreateTunedModelMetadata"
#: ``@type`` of the create operation's response.
TUNED_MODEL_TYPE = TYPE_PREFIX + "TunedModel"
#: Most snapshots one answer carries; longer jobs show evenly spaced steps.
MAX_SNAPSHOTS = 1000


def tuned_model(record: TunedModelRecord, progress: Progress) -> dict[str, Any]:
    """The ``TunedModel`` resource as the API returns it."""
    out: dict[str, Any] = {"name": record.name}
    if record.source_model is not None:
        out["tunedModelSource"] = {
            "tunedModel": record.source_model,
            "baseModel": record.base_model,
        }
    else:
        out["baseModel"] = record.base_model
    if record.display_name:
        out["displayName"] = record.display_name
    if record.description:
        out["description"] = record.description
    if record.temperature is not None:
        out["temperature"] = float32(record.temperature)
    if record.top_p is not None:
        out["topP"] = float32(record.top_p)
    if record.top_k is not None:
        out["topK"] = record.top_k
    out["state"] = progress.state
    out["createTime"] = format_timestamp(record.create_time)
    update_time = record.update_time
    if progress.finished_at is not None:
        update_time = max(update_time, progress.finished_at)
    out["updateTime"] = format_timestamp(update_time)
    out["tuningTask"] = _tuning_task(record, progress)
    if record.reader_project_numbers:
        out["readerProjectNumbers"] = [str(number) for number in record.reader_project_numbers]
    return out


def _tuning_task(record: TunedModelRecord, progress: Progress) -> dict[str, Any]:
    task: dict[str, Any] = {}
    if progress.started:
        task["startTime"] = format_timestamp(record.timeline.start_time)
    if progress.outcome == "succeeded" and progress.finished_at is not None:
        task["completeTime"] = format_timestamp(progress.finished_at)
    snapshots = snapshots_until(record, progress.completed_steps)
    if snapshots:
        task["snapshots"] = snapshots
    task["hyperparameters"] = record.hyperparameters.to_json()
    return task


def snapshots_until(record: TunedModelRecord, steps: int) -> list[dict[str, Any]]:
    """The ``TuningSnapshot`` list of a job that has completed ``steps`` steps.

    One snapshot per step, as the API reports them, up to :data:`MAX_SNAPSHOTS`;
    beyond that, evenly spaced steps ending at the last one, so the work and the
    size of an answer stay bounded however long the job. Epoch 0 is omitted, as
    in proto3 JSON.
    """
    count = len(record.examples)
    batch = record.hyperparameters.batch_size
    snapshots: list[dict[str, Any]] = []
    for step in _shown_steps(steps):
        snapshot: dict[str, Any] = {"step": step}
        epoch = epoch_of_step(step, batch, count)
        if epoch:
            snapshot["epoch"] = epoch
        snapshot["meanLoss"] = record.loss_curve.loss_at(step)
        snapshot["computeTime"] = format_timestamp(record.timeline.step_time(step))
        snapshots.append(snapshot)
    return snapshots


def _shown_steps(steps: int) -> range:
    stride = max(1, math.ceil(steps / MAX_SNAPSHOTS))
    first = steps - (math.ceil(steps / stride) - 1) * stride
    return range(first, steps + 1, stride)


def create_metadata(record: TunedModelRecord, progress: Progress) -> dict[str, Any]:
    """``CreateTunedModelMetadata`` with its ``@type``, in field-number order."""
    total = record.timeline.total_steps
    done = progress.completed_steps
    metadata: dict[str, Any] = {"@type": CREATE_METADATA_TYPE, "totalSteps": total}
    if done:
        metadata["completedSteps"] = done
        metadata["completedPercent"] = float32(done / total * 100)
        metadata["snapshots"] = snapshots_until(record, done)
    metadata["tunedModel"] = record.name
    return metadata


def operation(
    record: TunedModelRecord, progress: Progress, error: dict[str, Any] | None
) -> dict[str, Any]:
    """The ``google.longrunning.Operation`` that creates ``record``."""
    out: dict[str, Any] = {
        "name": record.operation_name,
        "metadata": create_metadata(record, progress),
    }
    if progress.outcome is None:
        return out
    out["done"] = True
    if error is not None:
        out["error"] = error
    else:
        out["response"] = {"@type": TUNED_MODEL_TYPE, **tuned_model(record, progress)}
    return out


def permission(record: TunedModelRecord, grant: PermissionRecord) -> dict[str, Any]:
    """The ``Permission`` resource."""
    out: dict[str, Any] = {
        "name": f"{record.name}/permissions/{grant.permission_id}",
        "granteeType": grant.grantee_type,
    }
    if grant.email is not None:
        out["emailAddress"] = grant.email
    out["role"] = grant.role
    return out


def base_model_version(record: TunedModelRecord) -> str:
    """``modelVersion`` reported by generation on a tuned model: its base model's id."""
    model = base_model(record.base_model)
    name = model["name"] if model is not None else record.base_model
    return str(name).removeprefix("models/")
