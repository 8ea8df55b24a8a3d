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
from airflow_provider_tunedmodels.emulator.errors import tuned_model_access_denied
from airflow_provider_tunedmodels.emulator.store import PermissionRecord, TunedModelRecord

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
