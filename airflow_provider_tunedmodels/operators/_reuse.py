"""Whether an existing tuned model was made from *this* request, so reusing it is safe.

A rerun or backfill of the same run finds the model its earlier try created
(the id is derived from the run). If the DAG changed in between -- other
training data, another base model, other hyperparameters -- that model must not
be adopted silently. Two checks decide:

* what the API shows that cannot change after creation: the base (or source)
  model and every hyperparameter the request set;
* a fingerprint of the request's immutable parts (source, hyperparameters and
  every training example), which the Gemini API does not return
  (``trainingData`` is input-only), so the create operator writes it at the end
  of the model's description as ``tuning request sha256:<16 hex digits>``. A
  later update of the description may drop it; then only the first check applies.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.models.gemini import TunedModel

__all__ = ["FINGERPRINT_LABEL", "request_differences", "request_fingerprint", "with_fingerprint"]

#: How the fingerprint reads in a description.
FINGERPRINT_LABEL: Final = "tuning request sha256:"
_FINGERPRINT = re.compile(re.escape(FINGERPRINT_LABEL) + r"([0-9a-f]{16})")
_HYPERPARAMETERS: Final = ("epochCount", "batchSize", "learningRate", "learningRateMultiplier")


def request_fingerprint(request: TunedModel) -> str:
    """16 hex digits of SHA-256 over the request's immutable parts, in canonical JSON."""
    wire = request.to_wire()
    task = wire.get("tuningTask", {})
    immutable = {
        "baseModel": wire.get("baseModel"),
        "tunedModelSource": wire.get("tunedModelSource"),
        "hyperparameters": task.get("hyperparameters"),
        "trainingData": task.get("trainingData"),
    }
    canonical = json.dumps(immutable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def with_fingerprint(request: TunedModel) -> TunedModel:
    """The request, with its fingerprint appended to the description."""
    mark = f"{FINGERPRINT_LABEL}{request_fingerprint(request)}"
    description = f"{request.description}\n\n{mark}" if request.description else mark
    return request.model_copy(update={"description": description})


def request_differences(existing: TunedModel, request: TunedModel) -> list[str]:
    """What differs between the model and the request, in the operator's terms (empty: same)."""
    have, want = existing.to_wire(), request.to_wire()
    found = _source_differences(have, want) + _hyperparameter_differences(have, want)
    recorded = _FINGERPRINT.search(existing.description or "")
    if recorded and recorded.group(1) != request_fingerprint(request):
        found.append(
            "the training data or settings differ from those the model was tuned with "
            f"(its fingerprint {recorded.group(1)}, this request's {request_fingerprint(request)})"
        )
    return found


def _source_differences(have: dict[str, Any], want: dict[str, Any]) -> list[str]:
    found = []
    if want.get("baseModel") != have.get("baseModel"):
        found.append(
            f"base_model: the model has {have.get('baseModel')!r}, the task asks for "
            f"{want.get('baseModel')!r}"
        )
    wanted_source = (want.get("tunedModelSource") or {}).get("tunedModel")
    had_source = (have.get("tunedModelSource") or {}).get("tunedModel")
    if wanted_source != had_source:
        found.append(
            f"source_model: the model has {had_source!r}, the task asks for {wanted_source!r}"
        )
    return found


def _hyperparameter_differences(have: dict[str, Any], want: dict[str, Any]) -> list[str]:
    wanted = (want.get("tuningTask") or {}).get("hyperparameters") or {}
    had = (have.get("tuningTask") or {}).get("hyperparameters") or {}
    found = []
    for key in _HYPERPARAMETERS:
        if key in wanted and str(wanted[key]) != str(had.get(key)):
            found.append(
                f"hyperparameters {key}: the model has {had.get(key)!r}, the task asks "
                f"for {wanted[key]!r}"
            )
    return found
