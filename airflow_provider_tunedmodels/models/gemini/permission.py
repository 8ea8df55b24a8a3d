"""Sharing a tuned model: ``Permission`` and its list response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_tunedmodels.models._wire import WireEnum, WireModel, enum_field

__all__ = ["GranteeType", "ListPermissionsResponse", "Permission", "Role"]


class GranteeType(WireEnum):
    """Who a permission is for (declared in proto number order)."""

    GRANTEE_TYPE_UNSPECIFIED = "GRANTEE_TYPE_UNSPECIFIED"
    USER = "USER"
    GROUP = "GROUP"
    EVERYONE = "EVERYONE"


class Role(WireEnum):
    """What a grantee may do; roles are concentric (declared in proto number order)."""

    ROLE_UNSPECIFIED = "ROLE_UNSPECIFIED"
    OWNER = "OWNER"
    WRITER = "WRITER"
    READER = "READER"


if TYPE_CHECKING:
    GranteeTypeValue = GranteeType | str
    RoleValue = Role | str
else:
    GranteeTypeValue = enum_field(GranteeType)
    RoleValue = enum_field(Role)


class Permission(WireModel):
    """A grant of a role on a tuned model to a user, a group or everyone."""

    name: str | None = None
    grantee_type: GranteeTypeValue | None = None
    email_address: str | None = None
    role: RoleValue | None = None


class ListPermissionsResponse(WireModel):
    """One page of ``permissions.list``."""

    permissions: list[Permission] | None = None
    next_page_token: str | None = None

    def page_items(self) -> list[Permission]:
        return list(self.permissions or [])
