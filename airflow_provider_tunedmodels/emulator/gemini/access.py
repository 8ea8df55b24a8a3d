"""Role checks on tuned models.

Roles are concentric: a ``READER`` may use the model for inference and read it,
a ``WRITER`` may also edit it and manage its permissions (except the owner's),
and the ``OWNER`` may also delete it and transfer its ownership. A permission
for ``EVERYONE`` grants ``READER`` to every caller. Group permissions apply to a
caller whose email is the group's address (the emulator knows no group
memberships).
"""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.auth import Identity
from airflow_provider_tunedmodels.emulator.errors import ApiError, not_found, permission_denied
from airflow_provider_tunedmodels.emulator.gemini.store import PermissionRecord, TunedModelRecord

__all__ = [
    "ROLE_RANK",
    "direct_role",
    "effective_rank",
    "owner_grant",
    "require_role",
    "shared_with_everyone",
    "tuned_model_access_denied",
    "tuned_model_not_found",
]


#: Rank of each role; a higher rank includes the lower ones.
ROLE_RANK = {"READER": 1, "WRITER": 2, "OWNER": 3}


def direct_role(record: TunedModelRecord, email: str) -> str | None:
    """The highest role granted to ``email`` itself (not through ``EVERYONE``)."""
    best: str | None = None
    wanted = email.lower()
    for grant in record.permissions:
        if grant.grantee_type == "EVERYONE" or grant.email is None:
            continue
        if grant.email.lower() == wanted and (
            best is None or ROLE_RANK[grant.role] > ROLE_RANK[best]
        ):
            best = grant.role
    return best


def shared_with_everyone(record: TunedModelRecord) -> bool:
    """Whether the model has a permission for ``EVERYONE``."""
    return any(grant.grantee_type == "EVERYONE" for grant in record.permissions)


def effective_rank(record: TunedModelRecord, email: str) -> int:
    """The caller's rank on the model, counting ``EVERYONE`` grants; 0 for none."""
    role = direct_role(record, email)
    rank = ROLE_RANK[role] if role is not None else 0
    if rank == 0 and shared_with_everyone(record):
        rank = ROLE_RANK["READER"]
    return rank


def require_role(record: TunedModelRecord, identity: Identity, minimum: str) -> None:
    """Refuse the call unless the caller holds at least ``minimum`` on the model."""
    if effective_rank(record, identity.email) < ROLE_RANK[minimum]:
        raise tuned_model_access_denied(record.name)


def owner_grant(record: TunedModelRecord) -> PermissionRecord | None:
    """The owner's permission."""
    for grant in record.permissions:
        if grant.role == "OWNER":
            return grant
    return None


def tuned_model_not_found(name: str) -> ApiError:
    """The observed ``NOT_FOUND`` for an unknown tuned model."""
    return not_found(f"Tuned model {name} does not exist.")


def tuned_model_access_denied(name: str) -> ApiError:
    """The observed ``PERMISSION_DENIED`` for a tuned model the caller may not use."""
    return permission_denied(f"You do not have permission to access tuned model {name}")
