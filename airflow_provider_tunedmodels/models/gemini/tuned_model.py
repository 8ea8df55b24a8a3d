"""The ``TunedModel`` resource and the messages it contains (``google.ai.generativelanguage.v1beta``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from airflow_provider_tunedmodels.models._wire import Int64, WireEnum, WireModel, enum_field

__all__ = [
    "Dataset",
    "Hyperparameters",
    "ListTunedModelsResponse",
    "State",
    "TunedModel",
    "TunedModelSource",
    "TuningExample",
    "TuningExamples",
    "TuningSnapshot",
    "TuningTask",
]


class State(WireEnum):
    """Lifecycle state of a tuned model (declared in proto number order)."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    FAILED = "FAILED"


if TYPE_CHECKING:
    StateValue = State | str
else:
    StateValue = enum_field(State)


class TuningExample(WireModel):
    """One training example: a text input and the output the model should give."""

    text_input: str | None = None
    output: str | None = None


class TuningExamples(WireModel):
    """The list of training examples."""

    examples: list[TuningExample] | None = None


class Dataset(WireModel):
    """Training data; only inline examples exist on the Gemini API."""

    examples: TuningExamples | None = None


class Hyperparameters(WireModel):
    """Tuning hyperparameters; unset ones get the server's defaults.

    ``learning_rate`` and ``learning_rate_multiplier`` are mutually exclusive.
    """

    learning_rate: float | None = None
    learning_rate_multiplier: float | None = None
    epoch_count: int | None = None
    batch_size: int | None = None


class TuningSnapshot(WireModel):
    """Progress record of one tuning step (output only)."""

    step: int | None = None
    epoch: int | None = None
    mean_loss: float | None = None
    compute_time: datetime | None = None


class TuningTask(WireModel):
    """The tuning job of a tuned model."""

    start_time: datetime | None = None
    complete_time: datetime | None = None
    snapshots: list[TuningSnapshot] | None = None
    training_data: Dataset | None = None
    hyperparameters: Hyperparameters | None = None


class TunedModelSource(WireModel):
    """Tune from an existing tuned model instead of a base model."""

    tuned_model: str | None = None
    base_model: str | None = None


class TunedModel(WireModel):
    """A model created by tuning a base model or another tuned model."""

    name: str | None = None
    tuned_model_source: TunedModelSource | None = None
    base_model: str | None = None
    display_name: str | None = None
    description: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    state: StateValue | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    tuning_task: TuningTask | None = None
    reader_project_numbers: list[Int64] | None = None

    @property
    def tuned_model_id(self) -> str | None:
        """The id part of ``name`` (``tunedModels/{id}``)."""
        return self.name.split("/", 1)[1] if self.name and "/" in self.name else self.name

    @property
    def is_active(self) -> bool:
        return self.state == State.ACTIVE

    @property
    def is_failed(self) -> bool:
        return self.state == State.FAILED

    @property
    def is_creating(self) -> bool:
        return self.state == State.CREATING

    @property
    def snapshots(self) -> list[TuningSnapshot]:
        """The tuning snapshots so far (empty while none are reported)."""
        return list(self.tuning_task.snapshots or []) if self.tuning_task else []

    @property
    def source_model(self) -> str | None:
        """The base model, whether given directly or through ``tunedModelSource``."""
        if self.base_model:
            return self.base_model
        source = self.tuned_model_source
        return (source.base_model or source.tuned_model) if source else None


class ListTunedModelsResponse(WireModel):
    """One page of ``tunedModels.list``."""

    tuned_models: list[TunedModel] | None = None
    next_page_token: str | None = None

    def page_items(self) -> list[TunedModel]:
        return list(self.tuned_models or [])
