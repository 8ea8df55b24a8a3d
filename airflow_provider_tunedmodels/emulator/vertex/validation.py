"""Checks of a ``tuningJobs.create`` request, all reported at once.

Exactly one source model (``baseModel`` or ``preTunedModel``), exactly one
tuning spec (supervised or preference), dataset URIs that name a Cloud Storage
object or a Vertex AI dataset, a display name of at most 128 characters, labels
of lowercase letters, digits, ``_`` and ``-``, positive hyperparameters, and an
adapter size the base model supports (the last answered with the observed
``The adapter size is not supported for this base model.``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import ApiError, invalid_argument
from airflow_provider_tunedmodels.emulator.vertex import catalog
from airflow_provider_tunedmodels.emulator.vertex.names import ModelRef, parse_model_name

__all__ = [
    "ADAPTER_NOT_SUPPORTED",
    "MAX_DISPLAY_NAME_CHARS",
    "MAX_LABELS",
    "TuningRequest",
    "check_labels",
    "read_tuning_request",
]

#: The observed refusal of an adapter size the base model does not support.
ADAPTER_NOT_SUPPORTED = "The adapter size is not supported for this base model."
#: Longest ``tunedModelDisplayName``.
MAX_DISPLAY_NAME_CHARS = 128
#: Labels per resource, and characters per label key or value.
MAX_LABELS = 64
MAX_LABEL_CHARS = 64
_SPECS = {"supervisedTuningSpec": "supervised", "preferenceOptimizationSpec": "preference"}
_UNSIMULATED = (
    "distillationSpec",
    "reinforcementTuningSpec",
    "fullFineTuningSpec",
    "partnerModelTuningSpec",
    "veoTuningSpec",
    "customBaseModel",
)
_ADAPTER_SIZES = {
    "ADAPTER_SIZE_ONE": 1,
    "ADAPTER_SIZE_TWO": 2,
    "ADAPTER_SIZE_FOUR": 4,
    "ADAPTER_SIZE_EIGHT": 8,
    "ADAPTER_SIZE_SIXTEEN": 16,
    "ADAPTER_SIZE_THIRTY_TWO": 32,
}
_DATASET_NAME = re.compile(r"projects/[^/]+/locations/[^/]+/datasets/[^/]+")
_GCS_OBJECT = re.compile(r"gs://[^/]+/.+")


@dataclass(frozen=True)
class TuningRequest:
    """What a valid create request asks for."""

    method: str  # supervised | preference
    spec: dict[str, Any]
    base_model: str  # the base model id (of the parent model when tuning continues)
    pre_tuned: ModelRef | None
    checkpoint_id: str | None

    @property
    def hyper_parameters(self) -> dict[str, Any]:
        """The spec's ``hyperParameters`` (empty when unset)."""
        value: dict[str, Any] = self.spec.get("hyperParameters", {})
        return value

    @property
    def training_uri(self) -> str:
        """``trainingDatasetUri``."""
        return str(self.spec["trainingDatasetUri"])

    @property
    def validation_uri(self) -> str | None:
        """``validationDatasetUri``, if any."""
        value = self.spec.get("validationDatasetUri")
        return str(value) if value else None


def read_tuning_request(
    job: dict[str, Any], location: str, base_model_of: Callable[[ModelRef], str]
) -> TuningRequest:
    """Check a parsed ``TuningJob``; raise ``INVALID_ARGUMENT`` listing every problem.

    :param base_model_of: the base model of a continued model (it may raise ``NOT_FOUND``).
    """
    problems: list[str] = []
    specs = [key for key in (*_SPECS, *_UNSIMULATED) if job.get(key)]
    for key in specs:
        if key in _UNSIMULATED:
            problems.append(
                f"tuning_job.{_snake(key)} is not simulated by the emulator: use "
                "supervisedTuningSpec or preferenceOptimizationSpec."
            )
    simulated = [key for key in specs if key in _SPECS]
    if len(specs) != 1:
        problems.append(
            "Exactly one tuning spec must be set (supervisedTuningSpec or "
            f"preferenceOptimizationSpec), got {len(specs)}."
        )
    spec: dict[str, Any] = job[simulated[0]] if simulated else {}
    problems += _spec_problems(spec, _snake(simulated[0]) if simulated else "")
    problems += _display_problems(job, location)
    pre_tuned, base_model = _source(job, problems, base_model_of)
    problems += _adapter_problems(spec.get("hyperParameters", {}), base_model)
    if problems:
        raise _invalid(problems)
    checkpoint = job.get("preTunedModel", {}).get("checkpointId") or None
    return TuningRequest(_SPECS[simulated[0]], spec, base_model, pre_tuned, checkpoint)


def _source(
    job: dict[str, Any], problems: list[str], base_model_of: Callable[[ModelRef], str]
) -> tuple[ModelRef | None, str]:
    base = job.get("baseModel")
    pre_tuned = job.get("preTunedModel", {}).get("tunedModelName")
    if bool(base) == bool(pre_tuned):
        problems.append(
            "Exactly one of tuning_job.base_model and tuning_job.pre_tuned_model.tuned_model_name "
            "must be set."
        )
        return None, ""
    if pre_tuned:
        try:
            ref = parse_model_name(str(pre_tuned), "tuning_job.pre_tuned_model.tuned_model_name")
        except ApiError as exc:
            problems.append(exc.message)
            return None, ""
        return ref, base_model_of(ref)
    model = catalog.base_model(str(base))
    if model is None:
        problems.append(
            f"Base model {base} is not supported for tuning; supported base models: "
            f"{', '.join(catalog.BASE_MODELS)}."
        )
        return None, ""
    return None, model.model_id


def _spec_problems(spec: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if not spec:
        return problems
    prefix = f"tuning_job.{path}"
    if not spec.get("trainingDatasetUri"):
        problems.append(f"{prefix}.training_dataset_uri is required.")
    for key in ("trainingDatasetUri", "validationDatasetUri"):
        uri = spec.get(key)
        if uri and not (_GCS_OBJECT.fullmatch(uri) or _DATASET_NAME.fullmatch(uri)):
            problems.append(
                f"{prefix}.{_snake(key)} must be a Cloud Storage object (gs://bucket/file.jsonl) "
                f"or a Vertex AI dataset (projects/.../datasets/...), got {uri!r}."
            )
    hyper = spec.get("hyperParameters", {})
    for key in ("epochCount", "learningRateMultiplier", "learningRate", "batchSize"):
        if key in hyper and hyper[key] <= 0:
            problems.append(f"{prefix}.hyper_parameters.{_snake(key)} must be positive.")
    if hyper.get("beta", 0) < 0:
        problems.append(f"{prefix}.hyper_parameters.beta must not be negative.")
    problems += _evaluation_problems(spec.get("evaluationConfig"), f"{prefix}.evaluation_config")
    return problems


def _evaluation_problems(config: Any, path: str) -> list[str]:
    if config is None:
        return []
    if not isinstance(config, dict) or not config.get("metrics"):
        return [f"{path}.metrics must list at least one metric."]
    output = config.get("outputConfig", config.get("output_config")) or {}
    destination = output.get("gcsDestination", output.get("gcs_destination")) or {}
    prefix = destination.get("outputUriPrefix", destination.get("output_uri_prefix")) or ""
    if not str(prefix).startswith("gs://"):
        return [f"{path}.output_config.gcs_destination.output_uri_prefix must be a gs:// URI."]
    return []


def _display_problems(job: dict[str, Any], location: str) -> list[str]:
    problems: list[str] = []
    name = job.get("tunedModelDisplayName", "")
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        problems.append(
            f"tuning_job.tuned_model_display_name must be at most {MAX_DISPLAY_NAME_CHARS} "
            f"characters, got {len(name)}."
        )
    problems += check_labels(job.get("labels", {}), "tuning_job.labels")
    key = job.get("encryptionSpec", {}).get("kmsKeyName")
    if key is not None and f"/locations/{location}/" not in f"/{key}/":
        problems.append(
            f"tuning_job.encryption_spec.kms_key_name must be a key in {location} "
            f"(projects/.../locations/{location}/keyRings/.../cryptoKeys/...), got {key!r}."
        )
    return problems


def check_labels(labels: dict[str, str], path: str) -> list[str]:
    """Problems of a label map: count, key and value lengths and characters."""
    problems: list[str] = []
    if len(labels) > MAX_LABELS:
        problems.append(f"{path} may hold at most {MAX_LABELS} labels, got {len(labels)}.")
    allowed = f"up to {MAX_LABEL_CHARS} lowercase letters, digits, '_' and '-'"
    for key, value in labels.items():
        if not (key and key[0].isalpha() and key[0].islower() and _label_text(key)):
            problems.append(
                f"{path}: key {key!r} must start with a lowercase letter and hold {allowed}."
            )
        if not _label_text(value):
            problems.append(f"{path}: value {value!r} of {key!r} may only hold {allowed}.")
    return problems


def _label_text(text: str) -> bool:
    return len(text) <= MAX_LABEL_CHARS and all(_label_char(char) for char in text)


def _label_char(char: str) -> bool:
    return char.isdigit() or char in "_-" or (char.isalpha() and not char.isupper())


def _adapter_problems(hyper: dict[str, Any], base_model: str) -> list[str]:
    adapter = hyper.get("adapterSize")
    model = catalog.base_model(base_model) if base_model else None
    if adapter is None or model is None:
        return []
    if _ADAPTER_SIZES.get(adapter) not in model.adapter_sizes:
        return [ADAPTER_NOT_SUPPORTED]
    return []


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _invalid(problems: list[str]) -> Exception:
    if len(problems) == 1:
        return invalid_argument(problems[0])
    return invalid_argument(
        f"The request has {len(problems)} problems:\n" + "\n".join(f"* {p}" for p in problems)
    )
