"""Request and resource schemas of Vertex AI (``google.cloud.aiplatform.v1`` / ``v1beta1``).

The ``TuningJob`` surface is the public v1 proto and discovery document, plus
``preferenceOptimizationSpec``, which v1 accepts although its proto does not
declare it (Google's own v1 preference-tuning sample sends it). The v1beta1
schema adds the fields only v1beta1 has; sending one of them to ``/v1/`` is an
unknown field, as on the real front end. Output-only fields are accepted in
input and ignored.
"""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.schemas import (
    Enum,
    Field,
    Message,
    generation_schemas,
    string,
    timestamp,
)

__all__ = [
    "ADAPTER_SIZE",
    "CANCEL_REQUEST",
    "GENERATE_CONTENT_REQUEST",
    "JOB_STATE",
    "MODEL",
    "OUTPUT_ONLY_FIELDS",
    "TUNING_JOB_STATE",
    "UNPUBLISHED_FIELDS",
    "WAIT_OPERATION_REQUEST",
    "packed_tuning_job",
    "rebase_request",
    "tuning_job",
]

_PACKAGE = "google.cloud.aiplatform.v1"

JOB_STATE = Enum(
    f"{_PACKAGE}.JobState",
    (
        "JOB_STATE_UNSPECIFIED",
        "JOB_STATE_QUEUED",
        "JOB_STATE_PENDING",
        "JOB_STATE_RUNNING",
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLING",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_PAUSED",
        "JOB_STATE_EXPIRED",
        "JOB_STATE_UPDATING",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    ),
)
TUNING_JOB_STATE = Enum(
    f"{_PACKAGE}.TuningJob.TuningJobState",
    (
        "TUNING_JOB_STATE_UNSPECIFIED",
        "TUNING_JOB_STATE_WAITING_FOR_QUOTA",
        "TUNING_JOB_STATE_PROCESSING_DATASET",
        "TUNING_JOB_STATE_WAITING_FOR_CAPACITY",
        "TUNING_JOB_STATE_TUNING",
        "TUNING_JOB_STATE_POST_PROCESSING",
    ),
)
#: Adapter sizes in enum-number order (``TWO`` was added last, as number 6).
ADAPTER_SIZE = Enum(
    f"{_PACKAGE}.SupervisedHyperParameters.AdapterSize",
    (
        "ADAPTER_SIZE_UNSPECIFIED",
        "ADAPTER_SIZE_ONE",
        "ADAPTER_SIZE_FOUR",
        "ADAPTER_SIZE_EIGHT",
        "ADAPTER_SIZE_SIXTEEN",
        "ADAPTER_SIZE_THIRTY_TWO",
        "ADAPTER_SIZE_TWO",
    ),
)
TUNING_MODE = Enum(
    f"{_PACKAGE}.SupervisedTuningSpec.TuningMode",
    ("TUNING_MODE_UNSPECIFIED", "TUNING_MODE_FULL", "TUNING_MODE_PEFT_ADAPTER"),
)

#: Output-only ``TuningJob`` fields: accepted in a request, never taken from it.
OUTPUT_ONLY_FIELDS = frozenset(
    {
        "name",
        "state",
        "createTime",
        "startTime",
        "endTime",
        "updateTime",
        "error",
        "experiment",
        "tunedModel",
        "tuningDataStats",
        "evaluateDatasetRuns",
        "tuningJobState",
        "tuningJobMetadata",
        "pipelineJob",
        "gcsMetricsUri",
    }
)
#: Output-only ``TuningJob`` fields the service returns, and google-genai reads, that the
#: ``TuningJob`` protos published in google-cloud-aiplatform do not declare.
UNPUBLISHED_FIELDS = frozenset({"tuningJobState", "tuningJobMetadata", "gcsMetricsUri"})


def _hyper_parameters(beta: bool, *, preference: bool) -> Message:
    fields = {
        "epochCount": Field("int64"),
        "learningRateMultiplier": Field("float"),
        "adapterSize": Field("enum", enum=ADAPTER_SIZE),
    }
    if preference:
        fields["beta"] = Field("float")
    if beta:
        fields["learningRate"] = Field("float")
        fields["batchSize"] = Field("int64")
    name = "PreferenceOptimizationHyperParameters" if preference else "SupervisedHyperParameters"
    return Message(f"{_PACKAGE}.{name}", fields)


def _tuning_spec(beta: bool, *, preference: bool) -> Message:
    fields = {
        "trainingDatasetUri": string(),
        "validationDatasetUri": string(),
        "hyperParameters": Field("message", message=_hyper_parameters(beta, preference=preference)),
        "exportLastCheckpointOnly": Field("bool"),
        "evaluationConfig": Field("any"),
    }
    if beta and not preference:
        fields["tuningMode"] = Field("enum", enum=TUNING_MODE)
    name = "PreferenceOptimizationSpec" if preference else "SupervisedTuningSpec"
    return Message(f"{_PACKAGE}.{name}", fields)


_PRE_TUNED_MODEL = Message(
    f"{_PACKAGE}.PreTunedModel",
    {"tunedModelName": string(), "checkpointId": string(), "baseModel": string()},
)
_ENCRYPTION_SPEC = Message(f"{_PACKAGE}.EncryptionSpec", {"kmsKeyName": string()})
_BETA_ONLY_FIELDS = {
    "outputUri": string(),
    "customBaseModel": string(),
    "distillationSpec": Field("any"),
    "reinforcementTuningSpec": Field("any"),
    "fullFineTuningSpec": Field("any"),
    "partnerModelTuningSpec": Field("any"),
    "veoTuningSpec": Field("any"),
}


def _tuning_job(beta: bool) -> Message:
    fields = {
        "name": string(),
        "baseModel": string(),
        "preTunedModel": Field("message", message=_PRE_TUNED_MODEL),
        "supervisedTuningSpec": Field("message", message=_tuning_spec(beta, preference=False)),
        "preferenceOptimizationSpec": Field("message", message=_tuning_spec(beta, preference=True)),
        "tunedModelDisplayName": string(),
        "description": string(),
        "state": Field("enum", enum=JOB_STATE),
        "createTime": timestamp(),
        "startTime": timestamp(),
        "endTime": timestamp(),
        "updateTime": timestamp(),
        "error": Field("any"),
        "labels": Field("map"),
        "experiment": string(),
        "tunedModel": Field("any"),
        "tuningDataStats": Field("any"),
        "encryptionSpec": Field("message", message=_ENCRYPTION_SPEC),
        "serviceAccount": string(),
        "evaluateDatasetRuns": Field("any"),
        "tuningJobState": Field("enum", enum=TUNING_JOB_STATE),
        "tuningJobMetadata": Field("any"),
        "pipelineJob": string(),
        "gcsMetricsUri": string(),
    }
    if beta:
        fields.update(_BETA_ONLY_FIELDS)
    return Message(f"{_PACKAGE}.TuningJob", fields)


def _packed(job: Message) -> Message:
    fields = {key: spec for key, spec in job.fields.items() if key not in UNPUBLISHED_FIELDS}
    return Message(job.full_name, fields)


_TUNING_JOBS = {"v1": _tuning_job(False), "v1beta1": _tuning_job(True)}
_PACKED_TUNING_JOBS = {version: _packed(job) for version, job in _TUNING_JOBS.items()}


def tuning_job(api_version: str) -> Message:
    """The ``TuningJob`` schema of ``api_version`` (``v1`` or ``v1beta1``)."""
    return _TUNING_JOBS[api_version]


def packed_tuning_job(api_version: str) -> Message:
    """The ``TuningJob`` of ``api_version`` as packed in an operation's ``response`` (an ``Any``).

    Clients unpack an ``Any`` against the message they were compiled with and refuse
    unknown fields there (google-api-core's REST operations client does), so a packed
    job carries only the fields of the published proto: no :data:`UNPUBLISHED_FIELDS`.
    """
    return _PACKED_TUNING_JOBS[api_version]


def _rebase_request(api_version: str) -> Message:
    reference = Message(
        f"{_PACKAGE}.TunedModelRef",
        {"tunedModel": string(), "tuningJob": string(), "pipelineJob": string()},
    )
    destination = Message(f"{_PACKAGE}.GcsDestination", {"outputUriPrefix": string()})
    return Message(
        f"{_PACKAGE}.RebaseTunedModelRequest",
        {
            "parent": string(),
            "tunedModelRef": Field("message", message=reference),
            "tuningJob": Field("message", message=tuning_job(api_version)),
            "artifactDestination": Field("message", message=destination),
            "deployToSameEndpoint": Field("bool"),
        },
    )


_REBASE_REQUESTS = {version: _rebase_request(version) for version in _TUNING_JOBS}


def rebase_request(api_version: str) -> Message:
    """The ``RebaseTunedModelRequest`` schema of ``api_version``."""
    return _REBASE_REQUESTS[api_version]


CANCEL_REQUEST = Message(f"{_PACKAGE}.CancelTuningJobRequest", {"name": string()})
WAIT_OPERATION_REQUEST = Message(
    "google.longrunning.WaitOperationRequest", {"name": string(), "timeout": string()}
)
#: ``Model`` as ``models.patch`` reads it; open, since clients may send a whole Model back.
MODEL = Message(
    f"{_PACKAGE}.Model",
    {
        "name": string(),
        "displayName": string(),
        "description": string(),
        "labels": Field("map"),
        "defaultCheckpointId": string(),
    },
    open=True,
)
_PART = Message(f"{_PACKAGE}.Part", {"text": string()}, open=True)
GENERATE_CONTENT_REQUEST = generation_schemas(
    _PACKAGE, _PART, top_k="float", request_extra={"labels": Field("map")}
).request
