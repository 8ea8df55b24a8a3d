"""Request and resource schemas of the Gemini API (``google.ai.generativelanguage.v1beta``)."""

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
    "CANCEL_OPERATION_REQUEST",
    "CONTENT",
    "DATASET",
    "GENERATE_CONTENT_REQUEST",
    "GENERATION_CONFIG",
    "GRANTEE_TYPE",
    "HYPERPARAMETERS",
    "PART",
    "PERMISSION",
    "ROLE",
    "STATE",
    "TRANSFER_OWNERSHIP_REQUEST",
    "TUNED_MODEL",
    "TUNED_MODEL_SOURCE",
    "TUNING_EXAMPLE",
    "TUNING_EXAMPLES",
    "TUNING_SNAPSHOT",
    "TUNING_TASK",
]


_PACKAGE = "google.ai.generativelanguage.v1beta"

STATE = Enum(f"{_PACKAGE}.TunedModel.State", ("STATE_UNSPECIFIED", "CREATING", "ACTIVE", "FAILED"))
GRANTEE_TYPE = Enum(
    f"{_PACKAGE}.Permission.GranteeType", ("GRANTEE_TYPE_UNSPECIFIED", "USER", "GROUP", "EVERYONE")
)
ROLE = Enum(f"{_PACKAGE}.Permission.Role", ("ROLE_UNSPECIFIED", "OWNER", "WRITER", "READER"))

TUNING_EXAMPLE = Message(
    f"{_PACKAGE}.TuningExample",
    {"textInput": string(), "output": string()},
    required=("output",),
)
TUNING_EXAMPLES = Message(
    f"{_PACKAGE}.TuningExamples",
    {"examples": Field("message", repeated=True, message=TUNING_EXAMPLE)},
    required=("examples",),
)
DATASET = Message(
    f"{_PACKAGE}.Dataset",
    {"examples": Field("message", message=TUNING_EXAMPLES)},
    required=("examples",),
)
HYPERPARAMETERS = Message(
    f"{_PACKAGE}.Hyperparameters",
    {
        "learningRate": Field("float"),
        "learningRateMultiplier": Field("float"),
        "epochCount": Field("int32"),
        "batchSize": Field("int32"),
    },
)
TUNING_SNAPSHOT = Message(
    f"{_PACKAGE}.TuningSnapshot",
    {
        "step": Field("int32"),
        "epoch": Field("int32"),
        "meanLoss": Field("float"),
        "computeTime": timestamp(),
    },
)
TUNING_TASK = Message(
    f"{_PACKAGE}.TuningTask",
    {
        "startTime": timestamp(),
        "completeTime": timestamp(),
        "snapshots": Field("message", repeated=True, message=TUNING_SNAPSHOT),
        "trainingData": Field("message", message=DATASET),
        "hyperparameters": Field("message", message=HYPERPARAMETERS),
    },
    required=("trainingData",),
)
TUNED_MODEL_SOURCE = Message(
    f"{_PACKAGE}.TunedModelSource", {"tunedModel": string(), "baseModel": string()}
)
TUNED_MODEL = Message(
    f"{_PACKAGE}.TunedModel",
    {
        "name": string(),
        "tunedModelSource": Field("message", message=TUNED_MODEL_SOURCE),
        "baseModel": string(),
        "displayName": string(),
        "description": string(),
        "temperature": Field("float"),
        "topP": Field("float"),
        "topK": Field("int32"),
        "state": Field("enum", enum=STATE),
        "createTime": timestamp(),
        "updateTime": timestamp(),
        "tuningTask": Field("message", message=TUNING_TASK),
        "readerProjectNumbers": Field("int64", repeated=True),
    },
)
PERMISSION = Message(
    f"{_PACKAGE}.Permission",
    {
        "name": string(),
        "granteeType": Field("enum", enum=GRANTEE_TYPE),
        "emailAddress": string(),
        "role": Field("enum", enum=ROLE),
    },
    required=("role",),
)
TRANSFER_OWNERSHIP_REQUEST = Message(
    f"{_PACKAGE}.TransferOwnershipRequest",
    {"name": string(), "emailAddress": string()},
    required=("emailAddress",),
)
CANCEL_OPERATION_REQUEST = Message("google.longrunning.CancelOperationRequest", {"name": string()})
PART = Message(
    f"{_PACKAGE}.Part",
    {"text": string(), "inlineData": Field("any"), "fileData": Field("any")},
    open=True,
)
_GENERATION = generation_schemas(
    _PACKAGE, PART, top_k="int32", request_open=True, request_required=("contents",)
)
CONTENT = _GENERATION.content
GENERATION_CONFIG = _GENERATION.generation_config
GENERATE_CONTENT_REQUEST = _GENERATION.request
