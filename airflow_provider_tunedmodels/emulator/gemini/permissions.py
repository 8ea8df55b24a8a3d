"""``tunedModels.permissions``: create, get, list, patch, delete.

Writers and the owner manage permissions; readers may not see or change them.
The owner's own permission is listed like any other, but it can only change
through ``transferOwnership``: it cannot be created, patched or deleted, and
no other permission can be given the ``OWNER`` role. A permission for
``EVERYONE`` has no email and can only grant ``READER``. When ``granteeType`` is
omitted, an address ending in ``googlegroups.com`` is a ``GROUP`` and anything
else a ``USER``. One grantee has at most one permission on a model.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_tunedmodels.emulator.auth import Identity
from airflow_provider_tunedmodels.emulator.errors import (
    already_exists,
    failed_precondition,
    invalid_argument,
    not_found,
)
from airflow_provider_tunedmodels.emulator.gemini import render
from airflow_provider_tunedmodels.emulator.gemini.schemas import PERMISSION
from airflow_provider_tunedmodels.emulator.gemini.store import PermissionRecord, TunedModelRecord
from airflow_provider_tunedmodels.emulator.gemini.tuned_models import TunedModels
from airflow_provider_tunedmodels.emulator.listing import paginate
from airflow_provider_tunedmodels.emulator.schemas import parse_message

__all__ = ["Permissions"]


class Permissions:
    """Business rules of tuned-model permissions."""

    def __init__(self, tuned_models: TunedModels) -> None:
        self.tuned_models = tuned_models
        self.store = tuned_models.store

    def _find(self, record: TunedModelRecord, permission_id: str) -> PermissionRecord:
        for grant in record.permissions:
            if grant.permission_id == permission_id:
                return grant
        raise not_found(f"Permission {record.name}/permissions/{permission_id} does not exist.")

    def create(self, model_id: str, body: dict[str, Any], identity: Identity) -> dict[str, Any]:
        """Grant a role on the model."""
        record = self.tuned_models.authorized(model_id, identity, "WRITER")
        permission = parse_message(PERMISSION, body, "permission")
        email = permission.get("emailAddress")
        grantee_type = _grantee_type(permission.get("granteeType"), email)
        role = permission.get("role", "ROLE_UNSPECIFIED")
        _check_grant(grantee_type, email, role)
        for grant in record.permissions:
            if _same_grantee(grant, grantee_type, email):
                raise already_exists(
                    f"A permission for this grantee already exists: "
                    f"{record.name}/permissions/{grant.permission_id}."
                )
        grant = PermissionRecord(self.store.random_id(12), grantee_type, email, role)
        record.permissions.append(grant)
        self.store.save()
        return render.permission(record, grant)

    def get(self, model_id: str, permission_id: str, identity: Identity) -> dict[str, Any]:
        """One permission."""
        record = self.tuned_models.authorized(model_id, identity, "WRITER")
        return render.permission(record, self._find(record, permission_id))

    def list_page(
        self, model_id: str, identity: Identity, *, page_size: int, page_token: str | None
    ) -> dict[str, Any]:
        """The permissions of the model, owner first."""
        record = self.tuned_models.authorized(model_id, identity, "WRITER")
        position = {id(grant): index for index, grant in enumerate(record.permissions)}
        page, next_token = paginate(
            record.permissions,
            lambda grant: (0.0 if grant.role == "OWNER" else 1.0 + position[id(grant)], ""),
            page_size=page_size,
            page_token=page_token,
            query=("permissions", record.name, identity.email.lower()),
        )
        out: dict[str, Any] = {}
        if page:
            out["permissions"] = [render.permission(record, grant) for grant in page]
        if next_token:
            out["nextPageToken"] = next_token
        return out

    def patch(
        self,
        model_id: str,
        permission_id: str,
        body: dict[str, Any],
        mask: list[str] | None,
        identity: Identity,
    ) -> dict[str, Any]:
        """Change a permission's role (the only updatable field)."""
        record = self.tuned_models.authorized(model_id, identity, "WRITER")
        grant = self._find(record, permission_id)
        update = parse_message(PERMISSION, body, "permission")
        if not mask:
            raise invalid_argument("update_mask is required. Accepted paths: role.")
        if any(path != "role" for path in mask):
            raise invalid_argument(
                f"Invalid update_mask {','.join(mask)!r}: the only accepted path is role."
            )
        if grant.role == "OWNER":
            raise failed_precondition(
                "The owner's permission cannot be changed; use transferOwnership."
            )
        role = update.get("role", "ROLE_UNSPECIFIED")
        _check_grant(grant.grantee_type, grant.email, role)
        grant.role = role
        self.store.save()
        return render.permission(record, grant)

    def delete(self, model_id: str, permission_id: str, identity: Identity) -> dict[str, Any]:
        """Revoke a permission (never the owner's)."""
        record = self.tuned_models.authorized(model_id, identity, "WRITER")
        grant = self._find(record, permission_id)
        if grant.role == "OWNER":
            raise failed_precondition(
                "The owner's permission cannot be deleted; use transferOwnership."
            )
        record.permissions.remove(grant)
        self.store.save()
        return {}


def _grantee_type(given: str | None, email: str | None) -> str:
    if given and given != "GRANTEE_TYPE_UNSPECIFIED":
        return given
    if email is None:
        raise invalid_argument(
            "permission.email_address is required unless grantee_type is EVERYONE."
        )
    return "GROUP" if email.lower().endswith("googlegroups.com") else "USER"


def _check_grant(grantee_type: str, email: str | None, role: str) -> None:
    if role == "ROLE_UNSPECIFIED":
        raise invalid_argument("permission.role is required.")
    if role == "OWNER":
        raise invalid_argument(
            "The OWNER role cannot be granted with a permission; use transferOwnership."
        )
    if grantee_type == "EVERYONE":
        if email is not None:
            raise invalid_argument(
                "permission.email_address must not be set when grantee_type is EVERYONE."
            )
        if role != "READER":
            raise invalid_argument("A permission for EVERYONE can only grant the READER role.")
        return
    if not email:
        raise invalid_argument(
            "permission.email_address is required unless grantee_type is EVERYONE."
        )
    if "@" not in email:
        raise invalid_argument(f"Invalid email address: {email}")


def _same_grantee(grant: PermissionRecord, grantee_type: str, email: str | None) -> bool:
    if grantee_type == "EVERYONE" or grant.grantee_type == "EVERYONE":
        return grant.grantee_type == grantee_type
    return (grant.email or "").lower() == (email or "").lower()
