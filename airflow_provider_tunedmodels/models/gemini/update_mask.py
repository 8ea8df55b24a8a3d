"""Which tuned-model fields ``tunedModels.patch`` may change, and why the others may not.

Kept apart from the pydantic models so that operators can check an update's
literal arguments when the DAG file is parsed, without loading them.
"""

from __future__ import annotations

from collections.abc import Iterable

from airflow_provider_tunedmodels.models.problems import Problem, wire_key

__all__ = ["MUTABLE_TUNED_MODEL_FIELDS", "mask_path", "update_mask_problems"]

#: Wire names of the TunedModel fields that ``tunedModels.patch`` may change.
MUTABLE_TUNED_MODEL_FIELDS = frozenset(
    {"displayName", "description", "temperature", "topP", "topK", "readerProjectNumbers"}
)
_IMMUTABLE_REASONS = {
    "name": "is output only (it is fixed at creation)",
    "baseModel": "is immutable",
    "tunedModelSource": "is immutable",
    "tuningTask": "is immutable (training data and hyperparameters are fixed at creation)",
    "state": "is output only",
    "createTime": "is output only",
    "updateTime": "is output only",
}
_UPDATABLE = ", ".join(sorted(MUTABLE_TUNED_MODEL_FIELDS))


def mask_path(written: str) -> str:
    """The wire path of a mask path written in snake_case or camelCase (``top_p`` → ``topP``)."""
    return ".".join(wire_key(part) for part in written.strip().split("."))


def update_mask_problems(written: Iterable[str]) -> list[Problem]:
    """A problem for every path that cannot be updated, named as the caller wrote it."""
    problems = []
    for shown in written:
        path = mask_path(shown)
        if path not in MUTABLE_TUNED_MODEL_FIELDS:
            reason = _IMMUTABLE_REASONS.get(
                path.split(".")[0], "is not a field that can be updated"
            )
            problems.append(Problem(shown.strip(), f"{reason}; updatable fields are {_UPDATABLE}"))
    return problems
