"""Vertex AI ``tuningJobs``: create, get, list and cancel, over a :class:`VertexStore`.

Create answers the job at once in ``JOB_STATE_PENDING`` (it is not a long-running
operation, and there is no request id: a retried create makes a second job).
The datasets are read when the job is created (see :meth:`TuningJobs.load_dataset`);
what they hold, or what is wrong with them, shows on the simulated clock.
Continuous tuning (``preTunedModel``) trains on the parent's examples and its
own, and adds a version to the parent model unless it names a new display name.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.errors import (
    failed_precondition,
    invalid_argument,
    not_found,
)
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.vertex import render
from airflow_provider_tunedmodels.emulator.vertex.datasets import (
    Dataset,
    DatasetError,
    read_dataset,
)
from airflow_provider_tunedmodels.emulator.vertex.filters import parse_job_filter
from airflow_provider_tunedmodels.emulator.vertex.names import ModelRef
from airflow_provider_tunedmodels.emulator.vertex.schedule import (
    TERMINAL_STATES,
    Snapshot,
    checkpoints,
    plan_starts,
    snapshot,
)
from airflow_provider_tunedmodels.emulator.vertex.schemas import OUTPUT_ONLY_FIELDS
from airflow_provider_tunedmodels.emulator.vertex.store import (
    ModelRecord,
    ModelVersion,
    TuningJobRecord,
    VertexStore,
)
from airflow_provider_tunedmodels.emulator.vertex.validation import (
    TuningRequest,
    read_tuning_request,
)

__all__ = ["DEFAULT_BATCH_SIZE", "Learned", "Location", "ModelView", "TuningJobs", "default_epochs"]

#: Examples per step when the request sets no batch size.
DEFAULT_BATCH_SIZE = 16
#: The epoch count when unset: "adjusted to the dataset size" (the emulator's rule:
#: about 1,000 example passes, between 1 and 10 epochs).
_TARGET_EXAMPLE_PASSES = 1000
_MAX_DEFAULT_EPOCHS = 10


def default_epochs(example_count: int) -> int:
    """The epoch count of a job that sets none."""
    return min(
        _MAX_DEFAULT_EPOCHS, max(1, math.ceil(_TARGET_EXAMPLE_PASSES / max(1, example_count)))
    )


@dataclass(frozen=True)
class Learned:
    """What a job learns from: its examples (counted), their statistics and answers."""

    example_count: int
    stats: dict[str, Any]
    answers: list[tuple[str, str]]

    @classmethod
    def of_dataset(cls, dataset: Dataset) -> Learned:
        """From a freshly read training file."""
        return cls(dataset.example_count, dataset.stats(), list(dataset.answers))

    @classmethod
    def of_job(cls, job: TuningJobRecord) -> Learned:
        """From an earlier job (a rebase trains on the same data)."""
        return cls(job.example_count, dict(job.stats or {}), list(job.answers))


@dataclass(frozen=True)
class Location:
    """A ``projects/{number}/locations/{location}`` parent."""

    project: str
    location: str


@dataclass(frozen=True)
class ModelView:
    """A visible model version and the job that produced it."""

    model: ModelRecord
    version: ModelVersion
    job: TuningJobRecord
    version_time: float
    newest: bool


class TuningJobs:
    """Business rules of tuning jobs and of the models they produce."""

    def __init__(self, store: VertexStore, context: ServerContext) -> None:
        self.store = store
        self.context = context

    @property
    def now(self) -> float:
        """The server's wall-clock time."""
        return self.context.clock()

    # -- lookups --------------------------------------------------------------

    def find(self, parent: Location, job_id: str) -> TuningJobRecord:
        """The job or ``NOT_FOUND``."""
        job = self.store.jobs.get(job_id)
        if job is None or (job.project, job.location) != (parent.project, parent.location):
            name = f"projects/{parent.project}/locations/{parent.location}/tuningJobs/{job_id}"
            raise not_found(f"Tuning job {name} not found.")
        return job

    def snapshot(self, job: TuningJobRecord) -> Snapshot:
        """Where the job stands now."""
        return snapshot(job, self.now)

    def render(
        self,
        job: TuningJobRecord,
        api_version: str,
        *,
        enum_numbers: bool = False,
        packed: bool = False,
    ) -> dict[str, Any]:
        """The job as ``api_version`` returns it now (``packed``: inside an operation)."""
        model = self.store.models.get(job.model_id)
        version = model.versions.get(job.model_version) if model else None
        return render.tuning_job(
            job,
            self.snapshot(job),
            api_version=api_version,
            default_checkpoint_id=version.default_checkpoint_id if version else None,
            enum_numbers=enum_numbers,
            packed=packed,
        )

    def model_view(self, ref: ModelRef) -> ModelView:
        """The visible version ``ref`` names (newest when it names none, or ``default``)."""
        model = self.store.models.get(ref.model_id)
        if model is not None and (model.project, model.location) == (ref.project, ref.location):
            visible = self._visible_versions(model)
            number = _version_number(ref.version, visible)
            if number is not None:
                version, end = visible[number]
                job = self.store.jobs[version.job_id]
                return ModelView(model, version, job, end, number == max(visible))
        suffix = f"@{ref.version}" if ref.version else ""
        raise not_found(f"Model {ref.name}{suffix} not found.")

    def _visible_versions(self, model: ModelRecord) -> dict[int, tuple[ModelVersion, float]]:
        out: dict[int, tuple[ModelVersion, float]] = {}
        for number, version in model.versions.items():
            job = self.store.jobs.get(version.job_id)
            if job is None:
                continue
            snap = self.snapshot(job)
            uploaded = snap.state == "JOB_STATE_SUCCEEDED" or (
                snap.state == "JOB_STATE_FAILED" and job.outcome == "endpoint_failure"
            )
            if uploaded and snap.end_time is not None:
                out[number] = (version, snap.end_time)
        return out

    # -- create ---------------------------------------------------------------

    def read_request(self, request: dict[str, Any], parent: Location) -> TuningRequest:
        """Check a parsed create request (and its parent model, when tuning continues)."""
        tuning = read_tuning_request(
            request, parent.location, lambda ref: self.model_view(ref).job.base_model
        )
        if tuning.pre_tuned is not None and tuning.checkpoint_id is not None:
            job = self.model_view(tuning.pre_tuned).job
            ids = [checkpoint.checkpoint_id for checkpoint in checkpoints(job)]
            if tuning.checkpoint_id not in ids:
                raise invalid_argument(
                    f"Checkpoint {tuning.checkpoint_id} does not exist in "
                    f"{tuning.pre_tuned.name}: its checkpoints are {', '.join(ids)}."
                )
        return tuning

    def load_dataset(self, tuning: TuningRequest) -> Learned | str:
        """The training dataset, or why the job will fail (safe to run in a worker thread)."""
        try:
            dataset = self._read(tuning.training_uri, tuning.method)
            if tuning.validation_uri is not None:
                self._read(tuning.validation_uri, tuning.method)
        except DatasetError as exc:
            return str(exc)
        return Learned.of_dataset(dataset)

    def _read(self, uri: str, method: str) -> Dataset:
        if not uri.startswith("gs://"):
            raise DatasetError(
                f"The dataset {uri} is a Vertex AI dataset; the emulator reads datasets from "
                "Cloud Storage only: export it to a gs:// JSONL file."
            )
        return read_dataset(uri, self.context.read_object(uri), method)

    def create(
        self,
        parent: Location,
        api_version: str,
        request: dict[str, Any],
        tuning: TuningRequest,
        learned: Learned | str,
        *,
        outcome: str | None,
        model: ModelRecord | None = None,
        final_endpoint: str | None = None,
    ) -> TuningJobRecord:
        """Add the job.

        :param learned: what the job trains on, or why its dataset fails it.
        :param outcome: a scripted fault kind, or ``None``.
        :param model: the model the job adds a version to (default: the parent
            model when tuning continues under its display name, else a new one).
        :param final_endpoint: the endpoint id the final checkpoint deploys to
            (default: a new endpoint).
        """
        source = self.model_view(tuning.pre_tuned) if tuning.pre_tuned is not None else None
        echoed = {key: value for key, value in request.items() if key not in OUTPUT_ONLY_FIELDS}
        if "preTunedModel" in echoed:
            echoed["preTunedModel"] = {
                key: value for key, value in echoed["preTunedModel"].items() if key != "baseModel"
            }
        display_name = echoed.get("tunedModelDisplayName") or (
            source.model.display_name if source else f"{tuning.base_model}-{uuid.uuid4()}"
        )
        echoed["tunedModelDisplayName"] = display_name
        answers: list[tuple[str, str]] = list(source.job.answers) if source else []
        job = self._new_job(parent, api_version, echoed, tuning, learned, outcome)
        job.answers = answers + job.answers
        if final_endpoint is not None:
            job.endpoint_ids[-1] = final_endpoint
        if source is not None:
            job.source_model = f"{source.model.name}@{source.version.version_id}"
            if display_name == source.model.display_name:
                model = source.model
        self._attach_model(job, display_name, model)
        self.store.jobs[job.job_id] = job
        self.replan(parent.project)
        self.store.save()
        return job

    def _new_job(
        self,
        parent: Location,
        api_version: str,
        echoed: dict[str, Any],
        tuning: TuningRequest,
        learned: Learned | str,
        outcome: str | None,
    ) -> TuningJobRecord:
        now = self.now
        failure = learned if isinstance(learned, str) else ""
        examples = learned.example_count if isinstance(learned, Learned) else 0
        hyper = tuning.hyper_parameters
        batch = int(hyper.get("batchSize", DEFAULT_BATCH_SIZE))
        if outcome == "dataset_failure" and not failure:
            failure = f"The dataset {tuning.training_uri} failed validation (injected fault)."
        job = TuningJobRecord(
            job_id=self.store.new_id(),
            project=parent.project,
            location=parent.location,
            api_version=api_version,
            create_time=now,
            step_seconds=self.context.config.step_seconds,
            request=echoed,
            method=tuning.method,
            base_model=tuning.base_model,
            epochs=int(hyper.get("epochCount", default_epochs(examples))),
            steps_per_epoch=max(1, math.ceil(examples / batch)),
            export_last_only=bool(tuning.spec.get("exportLastCheckpointOnly", False)),
            outcome=_outcome(failure, outcome),
            model_id="",
            model_version=1,
            endpoint_ids=[],
            experiment_id=render.experiment_id(now),
            failure_message=failure,
            example_count=examples,
        )
        if isinstance(learned, Learned) and not failure:
            job.stats = learned.stats
            job.answers = list(learned.answers)
        job.endpoint_ids = self.store.new_ids(len(checkpoints(job)))
        return job

    def _attach_model(
        self, job: TuningJobRecord, display_name: str, model: ModelRecord | None
    ) -> None:
        """Reserve the version the job will upload: of ``model``, or of a new model."""
        if model is None:
            model = ModelRecord(self.store.new_id(), job.project, job.location, display_name)
            self.store.models[model.model_id] = model
        job.model_id = model.model_id
        job.model_version = max(model.versions, default=0) + 1
        model.versions[job.model_version] = ModelVersion(job.model_version, job.job_id)

    def replan(self, project: str) -> None:
        """Recompute the starts of the project's jobs under the quota."""
        jobs = [job for job in self.store.jobs.values() if job.project == project]
        plan_starts(jobs, self.now, self.context.config.concurrent_tuning_jobs)

    # -- list and cancel ---------------------------------------------------------

    def list_page(
        self,
        parent: Location,
        api_version: str,
        *,
        raw_filter: str | None,
        page_size: int,
        page_token: str | None,
        enum_numbers: bool = False,
    ) -> dict[str, Any]:
        """``tuningJobs.list``: newest first."""
        matches = parse_job_filter(raw_filter)
        listed = [
            job
            for job in self.store.jobs.values()
            if (job.project, job.location) == (parent.project, parent.location)
            and matches(self.snapshot(job).state, job.request.get("labels", {}), job.create_time)
        ]
        page, token = paginate(
            listed,
            lambda job: (-job.create_time, job.job_id),
            page_size=page_size,
            page_token=page_token,
            query=("tuningJobs", parent.project, parent.location, raw_filter or ""),
        )
        out: dict[str, Any] = {}
        if page:
            out["tuningJobs"] = [
                self.render(job, api_version, enum_numbers=enum_numbers) for job in page
            ]
        if token:
            out["nextPageToken"] = token
        return out

    def cancel(self, job: TuningJobRecord) -> None:
        """Ask the job to stop; refuse when it has already ended."""
        state = self.snapshot(job).state
        if state in TERMINAL_STATES:
            raise failed_precondition(
                f"Tuning job {job.name} cannot be cancelled: it has already ended ({state})."
            )
        if job.cancel_time is None:
            job.cancel_time = self.now
            self.replan(job.project)
            self.store.save()


def _version_number(wanted: str | None, visible: dict[int, Any]) -> int | None:
    """The version ``wanted`` names among ``visible`` (``None``/``default``: the newest)."""
    if not visible:
        return None
    if wanted in (None, "default"):
        return max(visible)
    if wanted is not None and wanted.isdigit() and int(wanted) in visible:
        return int(wanted)
    return None


def _outcome(failure: str, scripted: str | None) -> str:
    if failure or scripted == "dataset_failure":
        return "dataset_failure"
    if scripted == "tuning_failure":
        return "endpoint_failure"
    if scripted == "expiry":
        return "expired"
    return "succeeded"
