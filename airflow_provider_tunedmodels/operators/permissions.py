"""Operator that shares a tuned model: grant, update or revoke a READER or WRITER role.

Every action first lists the model's permissions to find the grantee's current one,
so running the task again (a retry, a backfill) changes nothing the first run did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from airflow_provider_tunedmodels.core.errors import InvalidRequestError
from airflow_provider_tunedmodels.operators._base import GeminiBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_tunedmodels.models.gemini import Permission

__all__ = ["PermissionAction", "TunedModelPermissionsOperator"]

#: What the operator does to the grantee's permission.
PermissionAction = Literal["grant", "update", "revoke"]

_ACTIONS = ("grant", "update", "revoke")
_GRANTEE_TYPES = ("USER", "GROUP", "EVERYONE")
#: Roles are concentric: each includes the ones ranked below it.
_ROLE_RANK = {"READER": 1, "WRITER": 2, "OWNER": 3}
_GRANTABLE_ROLES = ("READER", "WRITER")
_OWNER_ADVICE = (
    "the owner changes only by transferring ownership: use "
    "TransferTunedModelOwnershipOperator (operators.tuned_model)"
)


class TunedModelPermissionsOperator(GeminiBaseOperator):
    """Grant, update or revoke one grantee's READER or WRITER role on a tuned model.

    Each action is idempotent. The operator lists the model's permissions first and
    finds the grantee's one (by email, case-insensitively, or the ``EVERYONE`` grant):

    * ``grant`` creates the permission; if the grantee already holds the role, or a
      role that includes it (WRITER includes READER, the owner has everything), it
      does nothing. A grantee holding a *weaker* role fails the task: use ``update``.
    * ``update`` changes the existing permission's role (nothing if it is already
      that role); a grantee without a permission fails the task: use ``grant``.
    * ``revoke`` deletes the grantee's permission whatever its role; a grantee
      without one is a no-op unless ``ignore_if_missing=False``.

    The owner's permission is never changed or revoked, and ``OWNER`` cannot be
    granted: use ``TransferTunedModelOwnershipOperator`` for that. Arguments are checked
    before any request (an email is required unless ``grantee_type="EVERYONE"``,
    which may only be a ``READER``). To share with several people, map the task
    over their emails.

    :param tuned_model_name: the model, ``tunedModels/<id>`` or ``<id>``. Templated.
    :param action: ``"grant"``, ``"update"`` or ``"revoke"``.
    :param email_address: the user's or group's email; ``None`` for ``EVERYONE``. Templated.
    :param role: ``"READER"`` or ``"WRITER"``; required for grant and update, must be
        omitted for revoke.
    :param grantee_type: ``"USER"`` (default), ``"GROUP"`` (a Google group) or ``"EVERYONE"``.
    :param ignore_if_missing: with ``revoke``, succeed when there is nothing to revoke.
    :param gemini_conn_id: Airflow connection of type ``gemini_tuned_models``.

    Returns (and pushes to XCom) ``{"tuned_model": "tunedModels/<id>", "action": ...,
    "changed": bool, "permission": {...} | None}``, where ``permission`` is the
    grantee's permission in wire format after the action (before it, for revoke).

    Example::

        from airflow_provider_tunedmodels.operators.permissions import (
            TunedModelPermissionsOperator,
        )

        share = TunedModelPermissionsOperator.partial(
            task_id="share_with_reviewers",
            tuned_model_name="tunedModels/support-router-v3",
            action="grant",
            role="READER",
        ).expand(email_address=["ana@example.com", "li@example.com"])
    """

    template_fields: Sequence[str] = ("tuned_model_name", "email_address")
    ui_color = "#fdf3e1"

    def __init__(
        self,
        *,
        tuned_model_name: str,
        action: PermissionAction,
        email_address: str | None = None,
        role: str | None = None,
        grantee_type: str = "USER",
        ignore_if_missing: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tuned_model_name = tuned_model_name
        self.action = action
        self.email_address = email_address
        self.role = role.upper() if role else None
        self.grantee_type = grantee_type.upper()
        self.ignore_if_missing = ignore_if_missing
        from airflow_provider_tunedmodels.models.gemini.names import TUNED_MODEL
        from airflow_provider_tunedmodels.operators._arguments import literal_name_problems

        _raise_if(
            _argument_problems(self.action, self.grantee_type, self.role)
            + literal_name_problems(tuned_model_name, TUNED_MODEL, "tuned_model_name")
        )

    def execute(self, context: Context) -> dict[str, Any]:
        """Apply the action; see the class docstring for what each one does."""
        from airflow_provider_tunedmodels.operators._arguments import bad_input_fails_the_task

        with bad_input_fails_the_task():
            _raise_if(_grantee_problems(self.grantee_type, self.email_address))
            self.log.info("Permissions of %s: %s for %s.", self._model, self.action, self._grantee)
        existing = self._find_existing()
        if self.action == "grant":
            return self._grant(existing)
        if self.action == "update":
            return self._update(existing)
        return self._revoke(existing)

    # --- the three actions ---------------------------------------------------------------------

    def _grant(self, existing: Permission | None) -> dict[str, Any]:
        from airflow_provider_tunedmodels.core.errors import AlreadyExistsError

        if existing is None:
            try:
                created = self.hook.create_permission(self.tuned_model_name, self._new_permission())
            except AlreadyExistsError:
                # Granted meanwhile, e.g. by an earlier try whose answer was lost.
                existing = self._find_existing()
                if existing is None:
                    raise
            else:
                self.log.info("Granted %s to %s on %s.", self.role, self._grantee, self._model)
                return self._result(changed=True, permission=created)
        return self._keep_existing_grant(existing)

    def _keep_existing_grant(self, existing: Permission) -> dict[str, Any]:
        held = _role_name(existing)
        if _ROLE_RANK.get(held, 0) < _ROLE_RANK[str(self.role)]:
            self._fail(
                f"{self._grantee} already holds {held} on {self._model}; "
                f"use action='update' to change it to {self.role}"
            )
        self.log.info(
            "%s already holds %s on %s, which includes %s; nothing to grant.",
            self._grantee,
            held,
            self._model,
            self.role,
        )
        return self._result(changed=False, permission=existing)

    def _update(self, existing: Permission | None) -> dict[str, Any]:
        if existing is None:
            self._fail(
                f"{self._grantee} has no permission on {self._model} to update; "
                "use action='grant' to give one"
            )
        self._refuse_owner(existing)
        if _role_name(existing) == self.role:
            self.log.info("%s already holds %s on %s.", self._grantee, self.role, self._model)
            return self._result(changed=False, permission=existing)
        updated = self.hook.update_permission(str(existing.name), str(self.role))
        self.log.info(
            "Changed %s from %s to %s on %s.",
            self._grantee,
            _role_name(existing),
            self.role,
            self._model,
        )
        return self._result(changed=True, permission=updated)

    def _revoke(self, existing: Permission | None) -> dict[str, Any]:
        from airflow_provider_tunedmodels.core.errors import NotFoundError

        if existing is None:
            return self._nothing_to_revoke()
        self._refuse_owner(existing)
        try:
            self.hook.delete_permission(str(existing.name))
        except NotFoundError as error:
            # After a retried attempt, NOT_FOUND means an earlier attempt deleted it.
            if error.attempts == 1:
                return self._nothing_to_revoke()
        self.log.info("Revoked %s from %s on %s.", _role_name(existing), self._grantee, self._model)
        return self._result(changed=True, permission=existing)

    def _nothing_to_revoke(self) -> dict[str, Any]:
        if not self.ignore_if_missing:
            self._fail(f"{self._grantee} has no permission on {self._model} to revoke")
        self.log.info("%s has no permission on %s; nothing to revoke.", self._grantee, self._model)
        return self._result(changed=False, permission=None)

    # --- helpers -------------------------------------------------------------------------------

    def _find_existing(self) -> Permission | None:
        for permission in self.hook.iter_permissions(self.tuned_model_name):
            if _same_grantee(permission, self.grantee_type, self.email_address):
                return permission
        return None

    def _new_permission(self) -> dict[str, Any]:
        permission = {"granteeType": self.grantee_type, "role": self.role}
        if self.email_address:
            permission["emailAddress"] = self.email_address
        return permission

    def _refuse_owner(self, existing: Permission) -> None:
        if _role_name(existing) == "OWNER":
            self._fail(
                f"{self._grantee} is the owner of {self._model}; the owner's permission "
                f"cannot be changed or revoked: {_OWNER_ADVICE}"
            )

    def _fail(self, message: str) -> NoReturn:
        from airflow_provider_tunedmodels._compat import AirflowFailException

        raise AirflowFailException(message)

    def _result(self, *, changed: bool, permission: Permission | None) -> dict[str, Any]:
        return {
            "tuned_model": self._model,
            "action": self.action,
            "changed": changed,
            "permission": permission.to_wire() if permission is not None else None,
        }

    @property
    def _model(self) -> str:
        from airflow_provider_tunedmodels.hooks.gemini_calls import tuned_model_path

        return tuned_model_path(self.tuned_model_name, "tuned_model_name")

    @property
    def _grantee(self) -> str:
        if self.grantee_type == "EVERYONE":
            return "EVERYONE"
        return f"{self.grantee_type} {self.email_address}"


def _argument_problems(action: str, grantee_type: str, role: str | None) -> list[str]:
    """Problems with the operator's fixed arguments (checked when the DAG is parsed)."""
    problems: list[str] = []
    if action not in _ACTIONS:
        problems.append(f"action {action!r}: must be one of {', '.join(_ACTIONS)}")
    if grantee_type not in _GRANTEE_TYPES:
        problems.append(
            f"grantee_type {grantee_type!r}: must be one of {', '.join(_GRANTEE_TYPES)}"
        )
    problems += _role_problems(action, role)
    if grantee_type == "EVERYONE" and role == "WRITER":
        problems.append("role WRITER: EVERYONE can only be a READER")
    return problems


def _role_problems(action: str, role: str | None) -> list[str]:
    if action == "revoke":
        if role is not None:
            return [f"role {role!r}: omit it; revoke removes the grantee's permission, any role"]
        return []
    if role == "OWNER":
        return [f"role OWNER: cannot be granted with a permission; {_OWNER_ADVICE}"]
    if role not in _GRANTABLE_ROLES:
        return [f"role {role!r}: required for {action}; one of {', '.join(_GRANTABLE_ROLES)}"]
    return []


def _grantee_problems(grantee_type: str, email_address: str | None) -> list[str]:
    """Problems with the grantee's email (checked after templates are rendered)."""
    if grantee_type == "EVERYONE":
        if email_address:
            return ["email_address: must be omitted when grantee_type is EVERYONE"]
        return []
    if not email_address:
        return [f"email_address: required for grantee_type {grantee_type}"]
    if "@" not in email_address:
        return [f"email_address {email_address!r}: not an email address"]
    return []


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise InvalidRequestError("the permission change", problems)


def _same_grantee(permission: Permission, grantee_type: str, email_address: str | None) -> bool:
    """One grantee has at most one permission: ``EVERYONE``'s, or the one for its email."""
    held_type = _enum_name(permission.grantee_type)
    if "EVERYONE" in (grantee_type, held_type):
        return grantee_type == held_type
    return (permission.email_address or "").casefold() == (email_address or "").casefold()


def _role_name(permission: Permission) -> str:
    return _enum_name(permission.role)


def _enum_name(value: object) -> str:
    return str(getattr(value, "value", value) or "")
