"""In-memory state of Vertex AI, persisted in the ``vertex`` section of the state file.

Tuning jobs carry everything their rendering needs (the echoed request, the
dataset statistics, the examples a tuned endpoint answers from, the reserved
model and endpoint ids); Model Registry entries point at the jobs that produced
their versions; operations (of ``rebaseTunedModel``) point at the job they run.
Progress is a pure function of wall time (see :mod:`.schedule`), so a job
persisted with a state file carries on after a restart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.state import StateFile
from airflow_provider_tunedmodels.emulator.vertex.names import IdMinter

__all__ = [
    "STATE_SECTION",
    "ModelRecord",
    "ModelVersion",
    "OperationRecord",
    "TuningJobRecord",
    "VertexStore",
]

#: Name of the Vertex AI section in the state file.
STATE_SECTION = "vertex"


@dataclass
class TuningJobRecord:
    """A tuning job and what the emulator decided about it when it was created."""

    job_id: str
    project: str  # project number
    location: str
    api_version: str  # the version that created it: v1 or v1beta1
    create_time: float
    step_seconds: float
    request: dict[str, Any]  # the echoed input fields, as parsed
    method: str  # supervised | preference
    base_model: str
    epochs: int
    steps_per_epoch: int
    export_last_only: bool
    outcome: str  # succeeded | endpoint_failure | dataset_failure | expired
    model_id: str
    model_version: int
    endpoint_ids: list[str]
    experiment_id: str
    failure_message: str = ""
    example_count: int = 0
    stats: dict[str, Any] | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)
    source_model: str | None = None  # continuous tuning: the parent model version
    start_time: float | None = None  # set by the quota planner
    cancel_time: float | None = None

    @property
    def parent(self) -> str:
        """``projects/{number}/locations/{location}``."""
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def name(self) -> str:
        """The job's resource name."""
        return f"{self.parent}/tuningJobs/{self.job_id}"

    @property
    def model_name(self) -> str:
        """The tuned model version, ``.../models/{id}@{version}``."""
        return f"{self.parent}/models/{self.model_id}@{self.model_version}"

    def endpoint_name(self, endpoint_id: str) -> str:
        """The resource name of one of the job's endpoints."""
        return f"{self.parent}/endpoints/{endpoint_id}"


@dataclass
class ModelVersion:
    """One version of a tuned model: the job that produced it and its default checkpoint."""

    version_id: int
    job_id: str
    default_checkpoint_id: str | None = None  # None: the final checkpoint
    update_time: float | None = None


@dataclass
class ModelRecord:
    """A Model Registry entry for tuned models; its versions appear as their jobs end."""

    model_id: str
    project: str
    location: str
    display_name: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    update_time: float | None = None
    versions: dict[int, ModelVersion] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The model's resource name (without a version)."""
        return f"projects/{self.project}/locations/{self.location}/models/{self.model_id}"


@dataclass
class OperationRecord:
    """A ``rebaseTunedModel`` operation: it is done when its job ends."""

    operation_id: str
    job_id: str
    api_version: str  # decides the @type of its metadata and response
    create_time: float


class VertexStore:
    """Tuning jobs, models and operations: the ``vertex`` state section."""

    def __init__(self, state: StateFile, *, seed: int = 0) -> None:
        self.jobs: dict[str, TuningJobRecord] = {}
        self.models: dict[str, ModelRecord] = {}
        self.operations: dict[str, OperationRecord] = {}
        self._minter = IdMinter(seed)
        self._state = state
        state.add_section(STATE_SECTION, self)

    def new_id(self) -> str:
        """A 19-digit id no job, model, operation or endpoint has yet."""
        taken = self._taken_ids()
        while True:
            candidate = self._minter.new_id()
            if candidate not in taken:
                return candidate

    def new_ids(self, count: int) -> list[str]:
        """``count`` distinct fresh ids."""
        out: list[str] = []
        while len(out) < count:
            candidate = self.new_id()
            if candidate not in out:
                out.append(candidate)
        return out

    def _taken_ids(self) -> set[str]:
        taken = set(self.jobs) | set(self.models) | set(self.operations)
        for job in self.jobs.values():
            taken.update(job.endpoint_ids)
        return taken

    def save(self) -> None:
        """Persist the state (a no-op without a state file)."""
        self._state.save()

    # -- state section ----------------------------------------------------------

    def reset(self) -> None:
        """Forget everything and restart the ids from the seed."""
        self.jobs.clear()
        self.models.clear()
        self.operations.clear()
        self._minter.reset()

    def dump(self) -> dict[str, Any]:
        """Everything as state-file data."""
        return {
            "jobs": [dataclasses.asdict(job) for job in self.jobs.values()],
            "models": [dataclasses.asdict(model) for model in self.models.values()],
            "operations": [dataclasses.asdict(op) for op in self.operations.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what :meth:`dump` wrote."""
        self.jobs = {}
        for item in data.get("jobs", []):
            job = TuningJobRecord(**item)
            job.answers = [(str(prompt), str(answer)) for prompt, answer in job.answers]
            self.jobs[job.job_id] = job
        self.models = {}
        for item in data.get("models", []):
            versions = {
                int(key): ModelVersion(**value) for key, value in item.pop("versions").items()
            }
            self.models[item["model_id"]] = ModelRecord(**item, versions=versions)
        self.operations = {
            item["operation_id"]: OperationRecord(**item) for item in data.get("operations", [])
        }
