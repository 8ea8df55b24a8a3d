"""The Vertex AI ``TuningJob`` resource and the messages it contains (``google.cloud.aiplatform``).

One model serves both API versions: fields that exist only on ``v1beta1``
(``learningRate``, ``batchSize``, ``tuningMode``, ``customBaseModel``,
``outputUri``, the distillation and reinforcement specs) are modelled too, and
:mod:`~airflow_provider_tunedmodels.models.vertex.validation` refuses them in a
``v1`` create request. Distillation, reinforcement, partner-model and evaluation
settings are passed through as plain JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_tunedmodels.models._wire import Int64, WireEnum, WireModel, enum_field
from airflow_provider_tunedmodels.models.gemini.operation import Status
from airflow_provider_tunedmodels.models.vertex.stats import TuningDataStats

__all__ = [
    "AdapterSize",
    "EncryptionSpec",
    "JobState",
    "ListTuningJobsResponse",
    "PreTunedModel",
    "PreferenceOptimizationHyperParameters",
    "PreferenceOptimizationSpec",
    "SupervisedHyperParameters",
    "SupervisedTuningSpec",
    "TunedModel",
    "TunedModelCheckpoint",
    "TuningJob",
    "TuningJobMetadata",
    "TuningJobState",
]


class JobState(WireEnum):
    """``google.cloud.aiplatform.JobState``, declared in proto number order (0-11)."""

    JOB_STATE_UNSPECIFIED = "JOB_STATE_UNSPECIFIED"
    JOB_STATE_QUEUED = "JOB_STATE_QUEUED"
    JOB_STATE_PENDING = "JOB_STATE_PENDING"
    JOB_STATE_RUNNING = "JOB_STATE_RUNNING"
    JOB_STATE_SUCCEEDED = "JOB_STATE_SUCCEEDED"
    JOB_STATE_FAILED = "JOB_STATE_FAILED"
    JOB_STATE_CANCELLING = "JOB_STATE_CANCELLING"
    JOB_STATE_CANCELLED = "JOB_STATE_CANCELLED"
    JOB_STATE_PAUSED = "JOB_STATE_PAUSED"
    JOB_STATE_EXPIRED = "JOB_STATE_EXPIRED"
    JOB_STATE_UPDATING = "JOB_STATE_UPDATING"
    JOB_STATE_PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"


class TuningJobState(WireEnum):
    """The finer sub-state of a running job (``tuningJobState``), in proto number order."""

    TUNING_JOB_STATE_UNSPECIFIED = "TUNING_JOB_STATE_UNSPECIFIED"
    TUNING_JOB_STATE_WAITING_FOR_QUOTA = "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
    TUNING_JOB_STATE_PROCESSING_DATASET = "TUNING_JOB_STATE_PROCESSING_DATASET"
    TUNING_JOB_STATE_WAITING_FOR_CAPACITY = "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
    TUNING_JOB_STATE_TUNING = "TUNING_JOB_STATE_TUNING"
    TUNING_JOB_STATE_POST_PROCESSING = "TUNING_JOB_STATE_POST_PROCESSING"


class AdapterSize(WireEnum):
    """LoRA adapter size. Its proto numbers do not follow the sizes (``TWO`` is 6)."""

    ADAPTER_SIZE_UNSPECIFIED = "ADAPTER_SIZE_UNSPECIFIED"
    ADAPTER_SIZE_ONE = "ADAPTER_SIZE_ONE"
    ADAPTER_SIZE_TWO = "ADAPTER_SIZE_TWO"
    ADAPTER_SIZE_FOUR = "ADAPTER_SIZE_FOUR"
    ADAPTER_SIZE_EIGHT = "ADAPTER_SIZE_EIGHT"
    ADAPTER_SIZE_SIXTEEN = "ADAPTER_SIZE_SIXTEEN"
    ADAPTER_SIZE_THIRTY_TWO = "ADAPTER_SIZE_THIRTY_TWO"

    @property
    def size(self) -> int | None:
        """The adapter size as a number (``ADAPTER_SIZE_FOUR`` is 4), ``None`` if unspecified."""
        return _ADAPTER_SIZES.get(self)

    @classmethod
    def from_size(cls, size: int) -> AdapterSize:
        """The member for an adapter size given as a number, e.g. ``from_size(8)``."""
        for member, value in _ADAPTER_SIZES.items():
            if value == size:
                return member
        allowed = ", ".join(str(v) for v in _ADAPTER_SIZES.values())
        raise ValueError(f"adapter size {size} does not exist; sizes are {allowed}")


_ADAPTER_SIZES: dict[AdapterSize, int] = {
    AdapterSize.ADAPTER_SIZE_ONE: 1,
    AdapterSize.ADAPTER_SIZE_TWO: 2,
    AdapterSize.ADAPTER_SIZE_FOUR: 4,
    AdapterSize.ADAPTER_SIZE_EIGHT: 8,
    AdapterSize.ADAPTER_SIZE_SIXTEEN: 16,
    AdapterSize.ADAPTER_SIZE_THIRTY_TWO: 32,
}

#: Proto numbers of :class:`AdapterSize` (clients such as google-cloud-aiplatform send them).
ADAPTER_SIZE_NUMBERS: dict[int, AdapterSize] = {
    0: AdapterSize.ADAPTER_SIZE_UNSPECIFIED,
    1: AdapterSize.ADAPTER_SIZE_ONE,
    6: AdapterSize.ADAPTER_SIZE_TWO,
    2: AdapterSize.ADAPTER_SIZE_FOUR,
    3: AdapterSize.ADAPTER_SIZE_EIGHT,
    4: AdapterSize.ADAPTER_SIZE_SIXTEEN,
    5: AdapterSize.ADAPTER_SIZE_THIRTY_TWO,
}

if TYPE_CHECKING:
    JobStateValue = JobState | str
    TuningJobStateValue = TuningJobState | str
    AdapterSizeValue = AdapterSize | str
else:
    JobStateValue = enum_field(JobState)
    TuningJobStateValue = enum_field(TuningJobState)
    AdapterSizeValue = enum_field(AdapterSize, ADAPTER_SIZE_NUMBERS)


class SupervisedHyperParameters(WireModel):
    """Supervised tuning hyperparameters; unset ones get the server's defaults.

    ``learningRate`` and ``batchSize`` exist on ``v1beta1`` only.
    """

    epoch_count: Int64 | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: AdapterSizeValue | None = None
    learning_rate: float | None = None
    batch_size: Int64 | None = None


class SupervisedTuningSpec(WireModel):
    """Supervised fine-tuning: a JSONL dataset in Cloud Storage (or a Vertex dataset).

    ``evaluationConfig`` (server-side evaluation during tuning) is passed through as JSON.
    """

    training_dataset_uri: str | None = None
    validation_dataset_uri: str | None = None
    hyper_parameters: SupervisedHyperParameters | None = None
    export_last_checkpoint_only: bool | None = None
    evaluation_config: dict[str, Any] | None = None
    tuning_mode: str | None = None


class PreferenceOptimizationHyperParameters(WireModel):
    """Preference tuning hyperparameters; ``beta`` weighs the KL-divergence regulariser."""

    epoch_count: Int64 | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: AdapterSizeValue | None = None
    beta: float | None = None


class PreferenceOptimizationSpec(WireModel):
    """Preference tuning (DPO) on prompts with a preferred and a dispreferred completion."""

    training_dataset_uri: str | None = None
    validation_dataset_uri: str | None = None
    hyper_parameters: PreferenceOptimizationHyperParameters | None = None
    export_last_checkpoint_only: bool | None = None
    evaluation_config: dict[str, Any] | None = None


class PreTunedModel(WireModel):
    """Continue tuning from a tuned model (``projects/*/locations/*/models/{m}[@version]``)."""

    tuned_model_name: str | None = None
    checkpoint_id: str | None = None
    base_model: str | None = None


class TunedModelCheckpoint(WireModel):
    """An intermediate checkpoint, deployed to its own endpoint."""

    checkpoint_id: str | None = None
    epoch: Int64 | None = None
    step: Int64 | None = None
    endpoint: str | None = None


class TunedModel(WireModel):
    """Where the result lives: the Model Registry model and the endpoint serving it."""

    model: str | None = None
    endpoint: str | None = None
    checkpoints: list[TunedModelCheckpoint] | None = None


class EncryptionSpec(WireModel):
    """A customer-managed encryption key in the job's region."""

    kms_key_name: str | None = None


class TuningJobMetadata(WireModel):
    """Progress counters of a running job."""

    completed_epoch_count: Int64 | None = None
    completed_step_count: Int64 | None = None


class TuningJob(WireModel):
    """A tuning job: its inputs (set on create) and what the server reports (output only)."""

    name: str | None = None
    base_model: str | None = None
    pre_tuned_model: PreTunedModel | None = None
    supervised_tuning_spec: SupervisedTuningSpec | None = None
    preference_optimization_spec: PreferenceOptimizationSpec | None = None
    distillation_spec: dict[str, Any] | None = None
    reinforcement_tuning_spec: dict[str, Any] | None = None
    partner_model_tuning_spec: dict[str, Any] | None = None
    tuned_model_display_name: str | None = None
    description: str | None = None
    labels: dict[str, str] | None = None
    encryption_spec: EncryptionSpec | None = None
    service_account: str | None = None
    custom_base_model: str | None = None
    output_uri: str | None = None
    state: JobStateValue | None = None
    tuning_job_state: TuningJobStateValue | None = None
    create_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    update_time: datetime | None = None
    error: Status | None = None
    experiment: str | None = None
    tuned_model: TunedModel | None = None
    tuning_data_stats: TuningDataStats | None = None
    tuning_job_metadata: TuningJobMetadata | None = None
    evaluate_dataset_runs: list[dict[str, Any]] | None = None
    pipeline_job: str | None = None
    gcs_metrics_uri: str | None = None

    @property
    def job_id(self) -> str | None:
        """The last segment of ``name`` (``projects/p/locations/l/tuningJobs/{id}``)."""
        return self.name.rsplit("/", 1)[-1] if self.name else None

    @property
    def state_name(self) -> str:
        """The state as its wire name (an unknown one as received), ``""`` if absent."""
        return _name_of(self.state)

    @property
    def checkpoints(self) -> list[TunedModelCheckpoint]:
        """The checkpoints deployed so far (empty while none are reported)."""
        return list(self.tuned_model.checkpoints or []) if self.tuned_model else []

    @property
    def endpoint(self) -> str | None:
        """The endpoint serving the tuned model, once there is one."""
        return self.tuned_model.endpoint if self.tuned_model else None


class ListTuningJobsResponse(WireModel):
    """One page of ``tuningJobs.list`` (an empty page is ``{}``)."""

    tuning_jobs: list[TuningJob] | None = None
    next_page_token: str | None = None

    def page_items(self) -> list[TuningJob]:
        return list(self.tuning_jobs or [])


def _name_of(value: object) -> str:
    if value is None:
        return ""
    return value.value if isinstance(value, WireEnum) else str(value)
