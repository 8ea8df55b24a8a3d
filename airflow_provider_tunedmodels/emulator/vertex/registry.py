"""The Model Registry of tuned models, and the experiment contexts of tuning jobs.

A model version appears when its job uploads it (``SUCCEEDED``, or ``FAILED``
with the endpoint error); ``models/{id}`` is its newest version and
``models/{id}@{n}`` version ``n``. ``models.patch`` updates ``displayName``,
``description``, ``labels`` and ``defaultCheckpointId``; a new default
checkpoint re-points the job's ``tunedModel.endpoint`` to that checkpoint's
endpoint.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.errors import invalid_argument, not_found
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.vertex import render
from airflow_provider_tunedmodels.emulator.vertex.jobs import Location, ModelView, TuningJobs
from airflow_provider_tunedmodels.emulator.vertex.names import ModelRef
from airflow_provider_tunedmodels.emulator.vertex.schedule import checkpoints
from airflow_provider_tunedmodels.emulator.vertex.schemas import MODEL
from airflow_provider_tunedmodels.emulator.vertex.validation import check_labels
from airflow_provider_tunedmodels.emulator.wire import format_timestamp

__all__ = ["UPDATABLE_PATHS", "ModelRegistry"]

#: ``updateMask`` paths ``models.patch`` accepts.
UPDATABLE_PATHS = ("display_name", "description", "labels", "default_checkpoint_id")


class ModelRegistry:
    """``models.get`` / ``models.patch`` and ``metadataStores.contexts.get``."""

    def __init__(self, jobs: TuningJobs) -> None:
        self.jobs = jobs

    def get(self, ref: ModelRef) -> dict[str, Any]:
        """The version ``ref`` names."""
        return self._render(self.jobs.model_view(ref))

    def patch(self, ref: ModelRef, body: dict[str, Any], mask: list[str] | None) -> dict[str, Any]:
        """Apply the ``updateMask`` paths of ``body``; answer the updated version."""
        view = self.jobs.model_view(ref)
        update = parse_message(MODEL, body, "model")
        if not mask:
            raise invalid_argument(
                f"update_mask is required; updatable paths: {', '.join(UPDATABLE_PATHS)}."
            )
        unknown = [path for path in mask if path not in UPDATABLE_PATHS]
        if unknown:
            raise invalid_argument(
                f"update_mask paths {', '.join(unknown)} cannot be updated; updatable paths: "
                f"{', '.join(UPDATABLE_PATHS)}."
            )
        problems = (
            check_labels(update.get("labels", {}), "model.labels") if "labels" in mask else []
        )
        if "default_checkpoint_id" in mask:
            problems += _checkpoint_problems(view, update.get("defaultCheckpointId"))
        if problems:
            raise invalid_argument("\n".join(problems))
        self._apply(view, update, mask)
        return self._render(view)

    def _apply(self, view: ModelView, update: dict[str, Any], mask: list[str]) -> None:
        now = self.jobs.now
        model, version = view.model, view.version
        if "display_name" in mask:
            model.display_name = str(update.get("displayName", ""))
        if "description" in mask:
            model.description = str(update.get("description", ""))
        if "labels" in mask:
            model.labels = dict(update.get("labels", {}))
        if "default_checkpoint_id" in mask:
            version.default_checkpoint_id = update.get("defaultCheckpointId") or None
            version.update_time = now
        model.update_time = now
        self.jobs.store.save()

    def _render(self, view: ModelView) -> dict[str, Any]:
        out = render.model(
            view.model,
            view.version,
            view.job,
            version_time=view.version_time,
            newest=view.newest,
        )
        first = min(view.model.versions)
        first_job = self.jobs.store.jobs.get(view.model.versions[first].job_id, view.job)
        out["createTime"] = format_timestamp(first_job.create_time)
        out["updateTime"] = format_timestamp(
            max(view.version_time, view.model.update_time or 0, view.version.update_time or 0)
        )
        return out

    def experiment(self, parent: Location, context_id: str) -> dict[str, Any]:
        """The experiment context of a started job."""
        for job in self.jobs.store.jobs.values():
            if (
                (job.project, job.location) == (parent.project, parent.location)
                and job.experiment_id == context_id
                and self.jobs.snapshot(job).started
            ):
                return render.experiment_context(job)
        name = (
            f"projects/{parent.project}/locations/{parent.location}/metadataStores/default/"
            f"contexts/{context_id}"
        )
        raise not_found(f"Context {name} not found.")


def _checkpoint_problems(view: ModelView, checkpoint_id: Any) -> list[str]:
    if view.job.outcome != "succeeded":
        return ["This model version has no deployed checkpoints to choose a default from."]
    ids = [checkpoint.checkpoint_id for checkpoint in checkpoints(view.job)]
    if checkpoint_id not in ids:
        return [
            f"model.default_checkpoint_id must be one of the version's checkpoints "
            f"({', '.join(ids)}), got {checkpoint_id!r}."
        ]
    return []
