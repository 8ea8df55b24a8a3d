"""Build a Vertex AI ``tuningJobs.create`` request from operator arguments, and read its result.

Used by :class:`~airflow_provider_tunedmodels.operators.vertex_tuning.CreateTuningJobOperator`
when its task runs. Nothing here imports the hook or pydantic, so the checks that
run when a DAG file is parsed stay cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "ADAPTER_SIZES",
    "TUNING_METHODS",
    "build_tuning_job",
    "check_literal_arguments",
    "is_cloud_dataset",
    "summarize_tuning_job",
]

#: Tuning methods and the ``TuningJob`` field each one fills.
TUNING_METHODS: Final[Mapping[str, str]] = {
    "supervised": "supervisedTuningSpec",
    "preference": "preferenceOptimizationSpec",
    "distillation": "distillationSpec",
    "reinforcement": "reinforcementTuningSpec",
}
#: Adapter sizes as numbers, and their wire names.
ADAPTER_SIZES: Final[Mapping[int, str]] = {
    1: "ADAPTER_SIZE_ONE",
    2: "ADAPTER_SIZE_TWO",
    4: "ADAPTER_SIZE_FOUR",
    8: "ADAPTER_SIZE_EIGHT",
    16: "ADAPTER_SIZE_SIXTEEN",
    32: "ADAPTER_SIZE_THIRTY_TWO",
}
#: Operator ``hyperparameters`` keys (snake_case) and their wire names.
_HYPERPARAMETERS: Final[Mapping[str, str]] = {
    "epoch_count": "epochCount",
    "learning_rate_multiplier": "learningRateMultiplier",
    "adapter_size": "adapterSize",
    "beta": "beta",
}
_IF_EXISTS: Final = ("reuse", "replace", "fail")


def is_cloud_dataset(uri: str) -> bool:
    """Whether the API reads ``uri`` itself (``gs://`` or a Vertex dataset), so nothing is staged."""
    return uri.startswith(("gs://", "projects/"))


def check_literal_arguments(
    *,
    method: str,
    if_exists: str,
    base_model: object,
    pre_tuned_model: object,
    hyperparameters: object,
) -> None:
    """Checks that need no template rendering, run when the DAG file is parsed.

    :raises ValueError: naming the operator parameter to fix.
    """
    if method not in TUNING_METHODS:
        raise ValueError(f"method={method!r}: use one of {', '.join(TUNING_METHODS)}")
    if if_exists not in _IF_EXISTS:
        raise ValueError(f"if_exists={if_exists!r}: use one of {', '.join(_IF_EXISTS)}")
    if bool(base_model) == bool(pre_tuned_model):
        raise ValueError(
            "give exactly one of base_model (e.g. 'gemini-2.5-flash') and pre_tuned_model "
            "(a tuned model, projects/.../models/{id}, to tune further)"
        )
    if isinstance(hyperparameters, Mapping):
        unknown = sorted(set(map(_snake, hyperparameters)) - set(_HYPERPARAMETERS))
        if unknown:
            raise ValueError(
                f"hyperparameters: unknown key(s) {', '.join(unknown)}; use "
                f"{', '.join(_HYPERPARAMETERS)}"
            )


def build_tuning_job(
    *,
    method: str,
    training_dataset_uri: str,
    validation_dataset_uri: str | None,
    base_model: str | None,
    pre_tuned_model: str | None,
    checkpoint_id: str | None,
    display_name: str | None,
    description: str | None,
    labels: Mapping[str, str] | None,
    hyperparameters: Mapping[str, Any] | None,
    tuning_spec: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The ``TuningJob`` to create, in wire format (checked by the hook before it is sent)."""
    spec: dict[str, Any] = dict(tuning_spec or {})
    dataset_key = "promptDatasetUri" if method == "distillation" else "trainingDatasetUri"
    spec.setdefault(dataset_key, training_dataset_uri)
    if validation_dataset_uri:
        spec.setdefault("validationDatasetUri", validation_dataset_uri)
    if hyperparameters:
        spec["hyperParameters"] = {
            **spec.get("hyperParameters", {}),
            **_wire_hyperparameters(hyperparameters),
        }
    job: dict[str, Any] = {TUNING_METHODS[method]: spec}
    if base_model:
        job["baseModel"] = base_model
    if pre_tuned_model:
        job["preTunedModel"] = {"tunedModelName": pre_tuned_model}
        if checkpoint_id:
            job["preTunedModel"]["checkpointId"] = str(checkpoint_id)
    optional = {"tunedModelDisplayName": display_name, "description": description}
    job.update({key: value for key, value in optional.items() if value})
    if labels:
        job["labels"] = dict(labels)
    return job


def _wire_hyperparameters(hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        name = _HYPERPARAMETERS.get(_snake(key), key)
        if name == "adapterSize" and isinstance(value, int) and not isinstance(value, bool):
            value = ADAPTER_SIZES.get(value, value)
        wire[name] = value
    return wire


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def summarize_tuning_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """What a pipeline uses of a finished job: names, state, times, model, endpoint, stats.

    JSON-safe; the full job stays available under ``tuning_job``.
    """
    tuned = job.get("tunedModel") or {}
    return {
        "name": job.get("name"),
        "state": job.get("state"),
        "create_time": job.get("createTime"),
        "start_time": job.get("startTime"),
        "end_time": job.get("endTime"),
        "tuned_model": tuned.get("model"),
        "endpoint": tuned.get("endpoint"),
        "checkpoints": list(tuned.get("checkpoints") or []),
        "tuning_data_stats": dict(job.get("tuningDataStats") or {}),
        "tuning_job": dict(job),
    }


def dropped_examples(job: Mapping[str, Any]) -> int:
    """Examples the service dropped or truncated, as its data statistics report them."""
    stats = job.get("tuningDataStats") or {}
    total = 0
    for kind in stats.values():
        if isinstance(kind, Mapping):
            total += int(kind.get("totalTruncatedExampleCount") or 0)
            total += len(kind.get("droppedExampleReasons") or [])
    return total
