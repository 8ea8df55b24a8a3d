"""``tuningJobs.rebaseTunedModel`` and the long-running operations it returns.

A rebase tunes the same data again on a newer base model (``tuningJob.baseModel``
of the request, or the catalog's successor of the old one): it creates a new
tuning job and answers an operation named under it
(``.../tuningJobs/{new job}/operations/{id}``) that is done when the job ends,
with the job as its ``response`` (or the job's error). The new job adds a version
to the same model; ``deployToSameEndpoint`` deploys it to the old endpoint.

Operations are served under ``/v1/``, ``/v1beta1/`` and ``/ui/`` (where the
official clients poll, and where ``:wait`` also exists). Their ``@type`` URLs
follow the API version of the rebase call that created them.
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

from airflow_provider_tunedmodels.emulator.errors import (
    ApiError,
    failed_precondition,
    invalid_argument,
    not_found,
)
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.vertex import catalog, render
from airflow_provider_tunedmodels.emulator.vertex.jobs import Learned, Location, TuningJobs
from airflow_provider_tunedmodels.emulator.vertex.names import (
    parse_model_name,
    parse_resource_name,
)
from airflow_provider_tunedmodels.emulator.vertex.schedule import TERMINAL_STATES
from airflow_provider_tunedmodels.emulator.vertex.schemas import (
    OUTPUT_ONLY_FIELDS,
    rebase_request,
)
from airflow_provider_tunedmodels.emulator.vertex.store import OperationRecord, TuningJobRecord
from airflow_provider_tunedmodels.emulator.vertex.validation import TuningRequest

__all__ = ["MAX_WAIT_SECONDS", "Operations"]

#: Longest ``operations.wait``, whatever the timeout asked for.
MAX_WAIT_SECONDS = 60.0
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]*)?)s")
_SPEC_KEYS = {"supervised": "supervisedTuningSpec", "preference": "preferenceOptimizationSpec"}


class Operations:
    """Rebase operations over the tuning jobs."""

    def __init__(self, jobs: TuningJobs) -> None:
        self.jobs = jobs
        self.store = jobs.store

    # -- rebase ---------------------------------------------------------------

    def rebase(
        self, parent: Location, api_version: str, body: dict[str, Any], *, outcome: str | None
    ) -> dict[str, Any]:
        """Start a rebase; answer its operation."""
        request = parse_message(rebase_request(api_version), body, "")
        source = self._source(request.get("tunedModelRef", {}), parent)
        overrides = {
            key: value
            for key, value in request.get("tuningJob", {}).items()
            if key not in OUTPUT_ONLY_FIELDS and key != "preTunedModel"
        }
        base = self._new_base_model(source, overrides.get("baseModel"))
        prefix = request.get("artifactDestination", {}).get("outputUriPrefix")
        if prefix is not None and not prefix.startswith("gs://"):
            raise invalid_argument(
                f"artifact_destination.output_uri_prefix must be a gs:// URI, got {prefix!r}."
            )
        job_request = {
            key: value for key, value in source.request.items() if key != "preTunedModel"
        }
        job_request.update(overrides, baseModel=base)
        spec = job_request.get(_SPEC_KEYS[source.method], {})
        tuning = TuningRequest(source.method, spec, base, None, None)
        serving = source.endpoint_ids[render.serving_checkpoint(source, None)]
        job = self.jobs.create(
            parent,
            api_version,
            job_request,
            tuning,
            Learned.of_job(source),
            outcome=outcome,
            model=self.store.models.get(source.model_id),
            final_endpoint=serving if request.get("deployToSameEndpoint") else None,
        )
        operation = OperationRecord(self.store.new_id(), job.job_id, api_version, self.jobs.now)
        self.store.operations[operation.operation_id] = operation
        self.store.save()
        return self.render(operation)

    def _source(self, reference: dict[str, Any], parent: Location) -> TuningJobRecord:
        given = [key for key in ("tunedModel", "tuningJob", "pipelineJob") if reference.get(key)]
        if len(given) != 1:
            raise invalid_argument(
                "tuned_model_ref must set exactly one of tuned_model, tuning_job and pipeline_job."
            )
        if given[0] == "pipelineJob":
            raise invalid_argument(
                "tuned_model_ref.pipeline_job (legacy tuning pipelines) is not simulated by the "
                "emulator: name the tuned model or its tuning job."
            )
        if given[0] == "tuningJob":
            project, location, job_id = parse_resource_name(
                reference["tuningJob"], "tuningJobs", "tuned_model_ref.tuning_job"
            )
            job = self.jobs.find(Location(project, location), job_id)
        else:
            ref = parse_model_name(reference["tunedModel"], "tuned_model_ref.tuned_model")
            job = self.jobs.model_view(ref).job
        if (job.project, job.location) != (parent.project, parent.location):
            raise invalid_argument(f"{job.name} is not in {parent.project}/{parent.location}.")
        state = self.jobs.snapshot(job).state
        if state != "JOB_STATE_SUCCEEDED":
            raise failed_precondition(
                f"Only a succeeded tuning job's model can be rebased; {job.name} is {state}."
            )
        return job

    @staticmethod
    def _new_base_model(source: TuningJobRecord, requested: str | None) -> str:
        if requested:
            model = catalog.base_model(requested)
            if model is None:
                raise invalid_argument(f"Base model {requested} is not supported for tuning.")
            return model.model_id
        current = catalog.base_model(source.base_model)
        if current is None or current.successor is None:
            raise failed_precondition(
                f"{source.base_model} has no newer base model to rebase onto; set "
                "tuning_job.base_model to choose one."
            )
        return current.successor

    # -- operations -----------------------------------------------------------

    def find(self, parent: Location, job_id: str, operation_id: str) -> OperationRecord:
        """The operation or ``NOT_FOUND``."""
        operation = self.store.operations.get(operation_id)
        job = self.store.jobs.get(job_id)
        if (
            operation is None
            or job is None
            or operation.job_id != job_id
            or (job.project, job.location) != (parent.project, parent.location)
        ):
            name = (
                f"projects/{parent.project}/locations/{parent.location}/tuningJobs/{job_id}/"
                f"operations/{operation_id}"
            )
            raise not_found(f"Operation {name} not found.")
        return operation

    def render(self, operation: OperationRecord) -> dict[str, Any]:
        """The operation as it stands now."""
        job = self.store.jobs[operation.job_id]
        job_json = self.jobs.render(job, operation.api_version, packed=True)
        return render.operation(operation, job, self.jobs.snapshot(job), job_json)

    def done(self, operation: OperationRecord) -> bool:
        """Whether the operation's job has ended."""
        job = self.store.jobs[operation.job_id]
        return self.jobs.snapshot(job).state in TERMINAL_STATES

    def list_page(
        self, parent: Location, job_id: str, *, page_size: int, page_token: str | None
    ) -> dict[str, Any]:
        """The operations of one tuning job."""
        self.jobs.find(parent, job_id)
        mine = [op for op in self.store.operations.values() if op.job_id == job_id]
        page, token = paginate(
            mine,
            lambda op: (op.create_time, op.operation_id),
            page_size=page_size,
            page_token=page_token,
            query=("operations", job_id),
        )
        out: dict[str, Any] = {}
        if page:
            out["operations"] = [self.render(op) for op in page]
        if token:
            out["nextPageToken"] = token
        return out

    def cancel(self, operation: OperationRecord) -> dict[str, Any]:
        """Cancel the operation's job (nothing to do once it has ended)."""
        if not self.done(operation):
            self.jobs.cancel(self.store.jobs[operation.job_id])
        return {}

    async def wait(self, operation: OperationRecord, timeout: str | None) -> dict[str, Any]:
        """Answer the operation once done, or when ``timeout`` (``"30s"``) has passed."""
        seconds = min(MAX_WAIT_SECONDS, MAX_WAIT_SECONDS if timeout is None else _seconds(timeout))
        poll = max(0.005, min(0.25, self.jobs.context.config.step_seconds))
        for _ in range(math.ceil(seconds / poll)):
            if self.done(operation):
                break
            await asyncio.sleep(poll)
        return self.render(operation)


def _seconds(timeout: str) -> float:
    found = _DURATION.fullmatch(timeout.strip())
    if found is None:
        raise ApiError(
            "INVALID_ARGUMENT",
            f"Invalid value at 'timeout' (type.googleapis.com/google.protobuf.Duration), "
            f'"{timeout}"',
        )
    return float(found.group(1))
