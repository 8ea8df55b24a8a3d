"""Local checks that mirror Vertex AI's documented rules for tuning requests.

Each check collects every problem it finds and raises one
:class:`~airflow_provider_tunedmodels.core.errors.InvalidRequestError` that names
each field to fix, so a DAG author fixes everything in one go and nothing is
sent (and billed) for a request the server would refuse.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic.alias_generators import to_camel

from airflow_provider_tunedmodels.models.problems import raise_listed
from airflow_provider_tunedmodels.models.vertex import limits
from airflow_provider_tunedmodels.models.vertex.model import MUTABLE_MODEL_FIELDS, Model
from airflow_provider_tunedmodels.models.vertex.names import (
    parse_model_name,
    parse_tuning_job_name,
)
from airflow_provider_tunedmodels.models.vertex.operation import (
    API_VERSIONS,
    RebaseTunedModelRequest,
)
from airflow_provider_tunedmodels.models.vertex.rules import (
    count_problems,
    display_name_problems,
    label_problems,
    name_problems,
    non_finite_problems,
    unknown_field_problems,
    uri_problems,
)
from airflow_provider_tunedmodels.models.vertex.tuning_job import (
    AdapterSize,
    PreferenceOptimizationHyperParameters,
    SupervisedHyperParameters,
    TuningJob,
)

__all__ = [
    "TUNING_SPEC_FIELDS",
    "V1BETA1_ONLY_FIELDS",
    "validate_model_update",
    "validate_new_tuning_job",
    "validate_rebase_request",
]

#: The members of the ``tuning_spec`` oneof: a create request sets exactly one.
TUNING_SPEC_FIELDS = (
    "supervisedTuningSpec",
    "preferenceOptimizationSpec",
    "distillationSpec",
    "reinforcementTuningSpec",
    "partnerModelTuningSpec",
)
#: Request fields that exist only on ``v1beta1``; ``v1`` answers "Cannot find field".
#: (``preferenceOptimizationSpec`` is not among them: ``v1`` accepts it.)
V1BETA1_ONLY_FIELDS = (
    "customBaseModel",
    "outputUri",
    "distillationSpec",
    "reinforcementTuningSpec",
    "partnerModelTuningSpec",
    "supervisedTuningSpec.tuningMode",
    "supervisedTuningSpec.hyperParameters.learningRate",
    "supervisedTuningSpec.hyperParameters.batchSize",
)
# Dataset URI keys of the specs passed through as plain JSON.
_RAW_SPEC_URI_KEYS = ("trainingDatasetUri", "promptDatasetUri", "validationDatasetUri")


def validate_new_tuning_job(job: TuningJob, *, api_version: str = "v1") -> None:
    """Check a ``tuningJobs.create`` request against every documented rule.

    :param api_version: ``v1`` refuses the fields in :data:`V1BETA1_ONLY_FIELDS`.
    """
    problems = _common_problems(job, api_version, "")
    problems += _source_problems(job)
    problems += _spec_problems(job)
    raise_listed(problems, "the tuning job to create")


def validate_rebase_request(request: RebaseTunedModelRequest, *, api_version: str = "v1") -> None:
    """Check a ``tuningJobs.rebaseTunedModel`` request."""
    problems = unknown_field_problems(request, "")
    problems += _tuned_model_ref_problems(request)
    destination = request.artifact_destination
    if destination is not None:
        problems += uri_problems(
            "artifactDestination.outputUriPrefix",
            destination.output_uri_prefix,
            required=True,
            folder=True,
        )
    if request.tuning_job is not None:
        problems += _common_problems(request.tuning_job, api_version, "tuningJob.")
    raise_listed(problems, "the rebase request")


def validate_model_update(changes: Model, update_mask: Iterable[str]) -> list[str]:
    """Check a Model Registry patch and return the normalised (camelCase) mask paths."""
    paths = [to_camel(p.strip()) for p in update_mask if p.strip()]
    allowed = ", ".join(sorted(MUTABLE_MODEL_FIELDS))
    problems = [
        f"{p}: cannot be changed through this hook; updatable fields are {allowed}"
        for p in paths
        if p not in MUTABLE_MODEL_FIELDS
    ]
    if not paths:
        problems.append(f"nothing to update: give at least one of {allowed}")
    problems += display_name_problems("displayName", changes.display_name)
    problems += label_problems(changes.labels or {})
    raise_listed(problems, "the model update")
    return paths


# --- shared by create, rebase overrides ------------------------------------------------------


def _common_problems(job: TuningJob, api_version: str, prefix: str) -> list[str]:
    problems = unknown_field_problems(job, prefix.rstrip("."))
    data = job.model_dump(by_alias=True, exclude_none=True)
    problems += _version_problems(data, api_version, prefix)
    problems += non_finite_problems(data, prefix.rstrip("."))
    problems += display_name_problems(
        f"{prefix}tunedModelDisplayName", job.tuned_model_display_name
    )
    problems += label_problems(job.labels or {}, f"{prefix}labels")
    problems += _encryption_problems(job, prefix)
    return problems


def _version_problems(data: Mapping[str, Any], api_version: str, prefix: str) -> list[str]:
    if api_version not in API_VERSIONS:
        return [f"API version {api_version!r}: must be one of {', '.join(API_VERSIONS)}"]
    if api_version != "v1":
        return []
    return [
        f"{prefix}{path}: exists only on the v1beta1 API; remove it, or set the connection's "
        "api_version to v1beta1"
        for path in V1BETA1_ONLY_FIELDS
        if _lookup(data, path) is not None
    ]


def _encryption_problems(job: TuningJob, prefix: str) -> list[str]:
    spec = job.encryption_spec
    if spec is None:
        return []
    where = f"{prefix}encryptionSpec.kmsKeyName"
    if not spec.kms_key_name:
        return [f"{where}: required when encryptionSpec is set"]
    if not limits.KMS_KEY_NAME.fullmatch(spec.kms_key_name):
        return [
            f"{where} {spec.kms_key_name!r}: expected "
            "projects/{project}/locations/{location}/keyRings/{key_ring}/cryptoKeys/{key}"
        ]
    return []


# --- create only -----------------------------------------------------------------------------


def _source_problems(job: TuningJob) -> list[str]:
    pre = job.pre_tuned_model
    if bool(job.base_model) == (pre is not None):
        return [
            "baseModel / preTunedModel: set exactly one, e.g. baseModel 'gemini-2.5-flash', or "
            "preTunedModel.tunedModelName 'projects/{project}/locations/{location}/models/{model}' "
            "to continue tuning a tuned model"
        ]
    if pre is not None:
        if not pre.tuned_model_name:
            return ["preTunedModel.tunedModelName: required (the tuned model to continue from)"]
        return name_problems("preTunedModel.tunedModelName", pre.tuned_model_name, parse_model_name)
    base = job.base_model or ""
    if base.startswith("projects/") and "/models/" in base and "/publishers/" not in base:
        return [
            f"baseModel {base!r}: a tuned model is not a base model; put it in "
            "preTunedModel.tunedModelName to continue tuning it"
        ]
    return []


def _spec_problems(job: TuningJob) -> list[str]:
    present = [f for f in TUNING_SPEC_FIELDS if getattr(job, _snake(f)) is not None]
    problems: list[str] = []
    if len(present) != 1:
        found = f"; found {', '.join(present)}" if present else "; none is set"
        problems.append(
            f"tuning spec: set exactly one of {', '.join(TUNING_SPEC_FIELDS[:4])}{found}"
        )
    sizes = _allowed_adapter_sizes(job)
    supervised = job.supervised_tuning_spec
    if supervised is not None:
        where = "supervisedTuningSpec"
        problems += _dataset_problems(
            where, supervised.training_dataset_uri, supervised.validation_dataset_uri, True
        )
        hp = supervised.hyper_parameters
        if hp is not None:
            problems += _common_hyperparameter_problems(f"{where}.hyperParameters", hp, sizes)
            problems += _v1beta1_hyperparameter_problems(f"{where}.hyperParameters", hp)
    preference = job.preference_optimization_spec
    if preference is not None:
        where = "preferenceOptimizationSpec"
        problems += _dataset_problems(
            where, preference.training_dataset_uri, preference.validation_dataset_uri, False
        )
        hp_pref = preference.hyper_parameters
        if hp_pref is not None:
            problems += _common_hyperparameter_problems(f"{where}.hyperParameters", hp_pref, sizes)
            if hp_pref.beta is not None and math.isfinite(hp_pref.beta) and hp_pref.beta <= 0:
                problems.append(
                    f"{where}.hyperParameters.beta: {hp_pref.beta} must be greater than 0"
                )
    for name in ("distillationSpec", "reinforcementTuningSpec"):
        problems += _raw_spec_uri_problems(name, getattr(job, _snake(name)))
    return problems


def _dataset_problems(
    where: str, training: str | None, validation: str | None, vertex_ok: bool
) -> list[str]:
    problems = uri_problems(
        f"{where}.trainingDatasetUri", training, required=True, vertex_dataset=vertex_ok
    )
    problems += uri_problems(f"{where}.validationDatasetUri", validation, vertex_dataset=vertex_ok)
    return problems


def _raw_spec_uri_problems(name: str, spec: Mapping[str, Any] | None) -> list[str]:
    if not spec:
        return []
    problems = []
    for key in _RAW_SPEC_URI_KEYS:
        value = spec.get(key, spec.get(_snake(key)))
        problems += uri_problems(f"{name}.{key}", value)
    return problems


def _allowed_adapter_sizes(job: TuningJob) -> tuple[int, ...]:
    """Gemini models (and continued tuning, which only Gemini models support) take 1-16."""
    base = (job.base_model or "").lower()
    if job.pre_tuned_model is not None or "gemini" in base:
        return limits.GEMINI_ADAPTER_SIZES
    return tuple(size for member in AdapterSize if (size := member.size) is not None)


def _common_hyperparameter_problems(
    where: str,
    hp: SupervisedHyperParameters | PreferenceOptimizationHyperParameters,
    sizes: tuple[int, ...],
) -> list[str]:
    problems = count_problems(f"{where}.epochCount", hp.epoch_count)
    rate = hp.learning_rate_multiplier
    if rate is not None and math.isfinite(rate) and rate <= 0:
        problems.append(f"{where}.learningRateMultiplier: {rate} must be greater than 0")
    problems += _adapter_problems(f"{where}.adapterSize", hp.adapter_size, sizes)
    return problems


def _v1beta1_hyperparameter_problems(where: str, hp: SupervisedHyperParameters) -> list[str]:
    problems = count_problems(f"{where}.batchSize", hp.batch_size)
    rate = hp.learning_rate
    if rate is not None and math.isfinite(rate) and rate <= 0:
        problems.append(f"{where}.learningRate: {rate} must be greater than 0")
    if rate is not None and hp.learning_rate_multiplier is not None:
        problems.append(
            f"{where}: learningRate and learningRateMultiplier are mutually exclusive; set one"
        )
    return problems


def _adapter_problems(
    where: str, value: AdapterSize | str | None, sizes: tuple[int, ...]
) -> list[str]:
    if value is None or value == AdapterSize.ADAPTER_SIZE_UNSPECIFIED:
        return []
    names = ", ".join(AdapterSize.from_size(s).value for s in sizes)
    if not isinstance(value, AdapterSize):
        return [f"{where} {value!r}: not an adapter size; use one of {names}"]
    if value.size not in sizes:
        return [f"{where}: {value.value} is not available for this base model; use one of {names}"]
    return []


def _tuned_model_ref_problems(request: RebaseTunedModelRequest) -> list[str]:
    ref = request.tuned_model_ref
    members = ("tunedModel", "tuningJob", "pipelineJob")
    if ref is None:
        return [f"tunedModelRef: required; set one of {', '.join(members)}"]
    given = [m for m in members if getattr(ref, _snake(m))]
    if len(given) != 1:
        return [f"tunedModelRef: set exactly one of {', '.join(members)}; found {len(given)}"]
    if ref.tuned_model:
        return name_problems("tunedModelRef.tunedModel", ref.tuned_model, parse_model_name)
    if ref.tuning_job:
        return name_problems("tunedModelRef.tuningJob", ref.tuning_job, parse_tuning_job_name)
    return []


# --- paths and names -------------------------------------------------------------------------


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
