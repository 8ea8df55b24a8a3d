"""The ``tunedModels`` resource: create, get, list, patch, delete, transferOwnership."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_tunedmodels.emulator.auth import Identity
from airflow_provider_tunedmodels.emulator.errors import (
    already_exists,
    failed_precondition,
    invalid_argument,
    not_found,
)
from airflow_provider_tunedmodels.emulator.faults import TUNING_FAILURE_MESSAGE
from airflow_provider_tunedmodels.emulator.gemini import limits, render
from airflow_provider_tunedmodels.emulator.gemini.access import (
    direct_role,
    owner_grant,
    require_role,
    shared_with_everyone,
    tuned_model_not_found,
)
from airflow_provider_tunedmodels.emulator.gemini.catalog import base_model, supports_tuning
from airflow_provider_tunedmodels.emulator.gemini.model_filter import (
    ModelFilter,
    parse_model_filter,
)
from airflow_provider_tunedmodels.emulator.gemini.schemas import (
    TRANSFER_OWNERSHIP_REQUEST,
    TUNED_MODEL,
)
from airflow_provider_tunedmodels.emulator.gemini.store import (
    PermissionRecord,
    Store,
    TunedModelRecord,
)
from airflow_provider_tunedmodels.emulator.gemini.training import (
    MAX_TOTAL_STEPS,
    Hyperparameters,
    LossCurve,
    Progress,
    Timeline,
    choose_failure_step,
    resolve_hyperparameters,
    total_steps,
)
from airflow_provider_tunedmodels.emulator.gemini.validation import (
    check_display_name,
    check_sampling,
    check_tuned_model_id,
    examples_of,
    hyperparameters_of,
    update_paths,
)
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.wire import dumps

__all__ = ["TunedModels"]


_CAMEL_OF = {
    "display_name": "displayName",
    "description": "description",
    "temperature": "temperature",
    "top_p": "topP",
    "top_k": "topK",
    "reader_project_numbers": "readerProjectNumbers",
}
_SLUG_DROP = re.compile(r"[^a-z0-9-]")
_GENERATED_SUFFIX_LENGTH = 12


class TunedModels:
    """Business rules of tuned models over a :class:`Store`."""

    def __init__(
        self, store: Store, *, step_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.step_seconds = step_seconds
        self.clock = clock

    # -- lookups --------------------------------------------------------------

    def find(self, model_id: str) -> TunedModelRecord:
        """The tuned model ``tunedModels/{model_id}`` or ``NOT_FOUND``."""
        record = self.store.get(model_id)
        if record is None:
            raise tuned_model_not_found(f"tunedModels/{model_id}")
        return record

    def authorized(self, model_id: str, identity: Identity, minimum: str) -> TunedModelRecord:
        """The tuned model, if the caller holds at least ``minimum`` on it."""
        record = self.find(model_id)
        require_role(record, identity, minimum)
        return record

    def progress(self, record: TunedModelRecord) -> Progress:
        """Where the model's tuning stands now."""
        return record.timeline.progress(self.clock())

    def operation_error(
        self, record: TunedModelRecord, progress: Progress
    ) -> dict[str, Any] | None:
        """The ``google.rpc.Status`` of a failed or cancelled tuning, else ``None``."""
        if progress.outcome == "failed":
            return {"code": 13, "message": record.failure_message or TUNING_FAILURE_MESSAGE}
        if progress.outcome == "cancelled":
            return {"code": 1, "message": "Operation cancelled by the caller."}
        return None

    def model_body(self, record: TunedModelRecord) -> bytes:
        """The serialised model, cached once tuning has ended."""
        if record.cached_body is not None:
            return record.cached_body
        progress = self.progress(record)
        body = dumps(render.tuned_model(record, progress))
        if progress.outcome is not None:
            record.cached_body = body
        return body

    # -- create ---------------------------------------------------------------

    def create(
        self,
        body: dict[str, Any],
        tuned_model_id: str | None,
        identity: Identity,
        *,
        fail: bool = False,
    ) -> dict[str, Any]:
        """Start tuning; answer the create ``Operation``.

        With ``fail``, the job fails at a seeded step (fault injection).
        """
        model = parse_message(TUNED_MODEL, body, "tuned_model")
        if tuned_model_id is not None:
            check_tuned_model_id(tuned_model_id)
        display_name = str(model.get("displayName", ""))
        check_display_name(display_name)
        check_sampling(model)
        base_name, source = self._source_of(model, identity)
        examples = examples_of(model)
        if source is not None:
            examples = source.examples + examples
        hyper = resolve_hyperparameters(hyperparameters_of(model), len(examples))
        _check_total_steps(len(examples), hyper)
        model_id = self._new_model_id(tuned_model_id, display_name)
        now = self.clock()
        defaults = base_model(base_name) or {}
        record = TunedModelRecord(
            model_id=model_id,
            operation_id=self.store.random_id(12),
            base_model=base_name,
            source_model=source.name if source is not None else None,
            display_name=display_name,
            description=str(model.get("description", "")),
            temperature=model.get("temperature", defaults.get("temperature")),
            top_p=model.get("topP", defaults.get("topP")),
            top_k=model.get("topK", defaults.get("topK")),
            reader_project_numbers=list(model.get("readerProjectNumbers", [])),
            create_time=now,
            update_time=now,
            hyperparameters=hyper,
            examples=examples,
            loss_curve=LossCurve.of(examples, hyper, self.store.seed),
            timeline=self._timeline(now, len(examples), hyper, model_id, fail=fail),
            permissions=[
                PermissionRecord(self.store.random_id(12), "USER", identity.email, "OWNER")
            ],
        )
        self.store.add(record)
        return render.operation(record, self.progress(record), None)

    def _timeline(
        self, now: float, count: int, hyper: Hyperparameters, model_id: str, *, fail: bool
    ) -> Timeline:
        """The schedule of a new job: the first step starts one step after creation."""
        timeline = Timeline(
            start_time=now + self.step_seconds,
            step_seconds=self.step_seconds,
            total_steps=total_steps(count, hyper),
        )
        if fail:
            timeline.fail_at_step = choose_failure_step(
                timeline.total_steps, self.store.seed, model_id
            )
        return timeline

    def _source_of(
        self, model: dict[str, Any], identity: Identity
    ) -> tuple[str, TunedModelRecord | None]:
        base_name = model.get("baseModel")
        source_name = model.get("tunedModelSource", {}).get("tunedModel")
        if base_name and source_name:
            raise invalid_argument(
                "Only one of tuned_model.base_model and tuned_model.tuned_model_source may be set."
            )
        if source_name:
            source = self._tuning_source(str(source_name), identity)
            return source.base_model, source
        if not base_name:
            raise invalid_argument(
                "tuned_model.base_model or tuned_model.tuned_model_source.tuned_model is required."
            )
        catalog_model = base_model(str(base_name))
        if catalog_model is None or not supports_tuning(catalog_model):
            raise not_found(
                f"{base_name} is not found for API version v1beta, or is not supported for "
                "createTunedModel. Call ListModels to see the list of available models and "
                "their supported methods."
            )
        return str(base_name), None

    def _tuning_source(self, name: str, identity: Identity) -> TunedModelRecord:
        if not name.startswith("tunedModels/"):
            raise invalid_argument(
                f"tuned_model.tuned_model_source.tuned_model must be a tuned model name "
                f"(tunedModels/...), got {name!r}."
            )
        source = self.authorized(name.removeprefix("tunedModels/"), identity, "READER")
        if self.progress(source).state != "ACTIVE":
            raise failed_precondition(
                f"Tuned model {name} is not ACTIVE and cannot be used as a tuning source."
            )
        return source

    def _new_model_id(self, requested: str | None, display_name: str) -> str:
        if requested is not None:
            if self.store.get(requested) is not None:
                raise already_exists(f"Tuned model tunedModels/{requested} already exists.")
            return requested
        slug = _slug(display_name)
        while True:
            if slug:
                prefix = slug[: limits.MAX_DISPLAY_NAME_LENGTH - _GENERATED_SUFFIX_LENGTH - 1]
                candidate = f"{prefix.rstrip('-')}-{self.store.random_id(_GENERATED_SUFFIX_LENGTH)}"
            else:
                candidate = self.store.random_id(11, first_letter=True)
            if self.store.get(candidate) is None:
                return candidate

    # -- read -----------------------------------------------------------------

    def get(self, model_id: str, identity: Identity) -> bytes:
        """``tunedModels.get`` (serialised)."""
        return self.model_body(self.authorized(model_id, identity, "READER"))

    def list_page(
        self, identity: Identity, *, page_size: int, page_token: str | None, raw_filter: str | None
    ) -> dict[str, Any]:
        """``tunedModels.list``."""
        model_filter = parse_model_filter(raw_filter)
        visible = [
            record
            for record in self.store.models.values()
            if _listed(record, identity, model_filter)
        ]
        query = ("tunedModels", raw_filter or "", identity.email.lower())
        page, next_token = paginate(
            visible,
            lambda record: (record.create_time, record.model_id),
            page_size=page_size,
            page_token=page_token,
            query=query,
        )
        out: dict[str, Any] = {}
        if page:
            out["tunedModels"] = [render.tuned_model(r, self.progress(r)) for r in page]
        if next_token:
            out["nextPageToken"] = next_token
        return out

    # -- update ---------------------------------------------------------------

    def patch(
        self, model_id: str, body: dict[str, Any], mask: list[str] | None, identity: Identity
    ) -> bytes:
        """``tunedModels.patch``: apply the ``updateMask`` paths of ``body``."""
        record = self.authorized(model_id, identity, "WRITER")
        update = parse_message(TUNED_MODEL, body, "tuned_model")
        paths = update_paths(update, mask, _CAMEL_OF)
        check_display_name(str(update.get("displayName", "")))
        check_sampling(update)
        defaults = base_model(record.base_model) or {}
        for path in paths:
            _apply_update(record, path, update, defaults)
        record.update_time = self.clock()
        record.touch()
        self.store.save()
        return self.model_body(record)

    def delete(self, model_id: str, identity: Identity) -> dict[str, Any]:
        """``tunedModels.delete`` (owner only); its operation goes with it."""
        self.authorized(model_id, identity, "OWNER")
        self.store.remove(model_id)
        return {}

    def transfer_ownership(
        self, model_id: str, body: dict[str, Any], identity: Identity
    ) -> dict[str, Any]:
        """``tunedModels.transferOwnership``: the old owner becomes a ``WRITER``."""
        record = self.authorized(model_id, identity, "OWNER")
        request = parse_message(TRANSFER_OWNERSHIP_REQUEST, body, "")
        email = str(request.get("emailAddress", "")).strip()
        if not email:
            raise invalid_argument("email_address is required.")
        if "@" not in email:
            raise invalid_argument(f"Invalid email address: {email}")
        current = owner_grant(record)
        if (
            current is not None
            and current.email is not None
            and current.email.lower() == email.lower()
        ):
            return {}
        target = next(
            (
                grant
                for grant in record.permissions
                if grant.grantee_type == "USER" and (grant.email or "").lower() == email.lower()
            ),
            None,
        )
        if target is None:
            target = PermissionRecord(self.store.random_id(12), "USER", email, "OWNER")
            record.permissions.append(target)
        target.role = "OWNER"
        if current is not None:
            current.role = "WRITER"
        record.touch()
        self.store.save()
        return {}


def _check_total_steps(count: int, hyper: Hyperparameters) -> None:
    """Refuse a job of more steps than ``totalSteps`` (an int32) can report."""
    steps = total_steps(count, hyper)
    if steps > MAX_TOTAL_STEPS:
        path = "tuned_model.tuning_task.hyperparameters"
        raise invalid_argument(
            f"{count} examples x {path}.epoch_count {hyper.epoch_count} / {path}.batch_size "
            f"{hyper.batch_size} makes {steps} tuning steps, more than the {MAX_TOTAL_STEPS} "
            "a tuning job can have; lower epoch_count or raise batch_size."
        )


def _listed(record: TunedModelRecord, identity: Identity, model_filter: ModelFilter) -> bool:
    role = direct_role(record, identity.email)
    everyone = shared_with_everyone(record)
    if role is None and not (everyone and model_filter.includes_everyone):
        return False
    for operator in model_filter.operators:
        if operator == ("readers", "everyone"):
            if not everyone:
                return False
        elif role != {"owner": "OWNER", "writers": "WRITER", "readers": "READER"}[operator[0]]:
            return False
    return model_filter.text_matches(record.display_name, record.description)


def _slug(display_name: str) -> str:
    slug = _SLUG_DROP.sub("", display_name.lower().replace(" ", "-"))
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return slug.lstrip("0123456789-")


def _apply_update(
    record: TunedModelRecord, path: str, update: dict[str, Any], defaults: dict[str, Any]
) -> None:
    value = update.get(_CAMEL_OF[path])
    if path == "display_name":
        record.display_name = str(value or "")
    elif path == "description":
        record.description = str(value or "")
    elif path == "temperature":
        record.temperature = value if value is not None else defaults.get("temperature")
    elif path == "top_p":
        record.top_p = value if value is not None else defaults.get("topP")
    elif path == "top_k":
        record.top_k = value if value is not None else defaults.get("topK")
    else:
        record.reader_project_numbers = list(value or [])
