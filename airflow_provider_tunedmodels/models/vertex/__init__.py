"""Pydantic models of Vertex AI's ``tuningJobs`` resources, in exact wire format.

The names below are imported on first use, like those of
:mod:`airflow_provider_tunedmodels.models`. Validation lives in
:mod:`~airflow_provider_tunedmodels.models.vertex.validation`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.models.vertex.model import (
        MUTABLE_MODEL_FIELDS,
        Model,
        ModelCheckpoint,
    )
    from airflow_provider_tunedmodels.models.vertex.names import (
        EndpointName,
        ModelName,
        OperationName,
        PublisherModelName,
        TuningJobName,
        location_path,
        parse_endpoint_name,
        parse_model_name,
        parse_operation_name,
        parse_publisher_model_name,
        parse_tuning_job_name,
    )
    from airflow_provider_tunedmodels.models.vertex.operation import (
        API_VERSIONS,
        GcsDestination,
        GenericOperationMetadata,
        ListTuningOperationsResponse,
        RebaseTunedModelOperationMetadata,
        RebaseTunedModelRequest,
        TunedModelRef,
        TuningOperation,
        rebase_metadata_type,
        tuning_job_type,
    )
    from airflow_provider_tunedmodels.models.vertex.states import (
        FAILED_STATES,
        RUNNING_STATES,
        JobOutcome,
        JobVerdict,
        classify_tuning_job,
        describe_tuning_progress,
    )
    from airflow_provider_tunedmodels.models.vertex.stats import (
        DatasetBucket,
        DatasetDistribution,
        DatasetStats,
        DistributionBucket,
        PreferenceOptimizationDataStats,
        SupervisedTuningDatasetDistribution,
        SupervisedTuningDataStats,
        TuningDataStats,
    )
    from airflow_provider_tunedmodels.models.vertex.tuning_job import (
        AdapterSize,
        EncryptionSpec,
        JobState,
        ListTuningJobsResponse,
        PreferenceOptimizationHyperParameters,
        PreferenceOptimizationSpec,
        PreTunedModel,
        SupervisedHyperParameters,
        SupervisedTuningSpec,
        TunedModel,
        TunedModelCheckpoint,
        TuningJob,
        TuningJobMetadata,
        TuningJobState,
    )

__all__ = [
    "API_VERSIONS",
    "FAILED_STATES",
    "MUTABLE_MODEL_FIELDS",
    "RUNNING_STATES",
    "AdapterSize",
    "DatasetBucket",
    "DatasetDistribution",
    "DatasetStats",
    "DistributionBucket",
    "EncryptionSpec",
    "EndpointName",
    "GcsDestination",
    "GenericOperationMetadata",
    "JobOutcome",
    "JobState",
    "JobVerdict",
    "ListTuningJobsResponse",
    "ListTuningOperationsResponse",
    "Model",
    "ModelCheckpoint",
    "ModelName",
    "OperationName",
    "PreTunedModel",
    "PreferenceOptimizationDataStats",
    "PreferenceOptimizationHyperParameters",
    "PreferenceOptimizationSpec",
    "PublisherModelName",
    "RebaseTunedModelOperationMetadata",
    "RebaseTunedModelRequest",
    "SupervisedHyperParameters",
    "SupervisedTuningDataStats",
    "SupervisedTuningDatasetDistribution",
    "SupervisedTuningSpec",
    "TunedModel",
    "TunedModelCheckpoint",
    "TunedModelRef",
    "TuningDataStats",
    "TuningJob",
    "TuningJobMetadata",
    "TuningJobName",
    "TuningJobState",
    "TuningOperation",
    "classify_tuning_job",
    "describe_tuning_progress",
    "location_path",
    "parse_endpoint_name",
    "parse_model_name",
    "parse_operation_name",
    "parse_publisher_model_name",
    "parse_tuning_job_name",
    "rebase_metadata_type",
    "tuning_job_type",
]

_LAZY: dict[str, str] = {
    "AdapterSize": "tuning_job",
    "EncryptionSpec": "tuning_job",
    "JobState": "tuning_job",
    "ListTuningJobsResponse": "tuning_job",
    "PreTunedModel": "tuning_job",
    "PreferenceOptimizationHyperParameters": "tuning_job",
    "PreferenceOptimizationSpec": "tuning_job",
    "SupervisedHyperParameters": "tuning_job",
    "SupervisedTuningSpec": "tuning_job",
    "TunedModel": "tuning_job",
    "TunedModelCheckpoint": "tuning_job",
    "TuningJob": "tuning_job",
    "TuningJobMetadata": "tuning_job",
    "TuningJobState": "tuning_job",
    "DatasetBucket": "stats",
    "DatasetDistribution": "stats",
    "DatasetStats": "stats",
    "DistributionBucket": "stats",
    "PreferenceOptimizationDataStats": "stats",
    "SupervisedTuningDataStats": "stats",
    "SupervisedTuningDatasetDistribution": "stats",
    "TuningDataStats": "stats",
    "API_VERSIONS": "operation",
    "GcsDestination": "operation",
    "GenericOperationMetadata": "operation",
    "ListTuningOperationsResponse": "operation",
    "RebaseTunedModelOperationMetadata": "operation",
    "RebaseTunedModelRequest": "operation",
    "TunedModelRef": "operation",
    "TuningOperation": "operation",
    "rebase_metadata_type": "operation",
    "tuning_job_type": "operation",
    "MUTABLE_MODEL_FIELDS": "model",
    "Model": "model",
    "ModelCheckpoint": "model",
    "EndpointName": "names",
    "ModelName": "names",
    "OperationName": "names",
    "PublisherModelName": "names",
    "TuningJobName": "names",
    "location_path": "names",
    "parse_endpoint_name": "names",
    "parse_model_name": "names",
    "parse_operation_name": "names",
    "parse_publisher_model_name": "names",
    "parse_tuning_job_name": "names",
    "FAILED_STATES": "states",
    "RUNNING_STATES": "states",
    "JobOutcome": "states",
    "JobVerdict": "states",
    "classify_tuning_job": "states",
    "describe_tuning_progress": "states",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
