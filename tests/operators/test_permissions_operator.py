"""TunedModelPermissionsOperator: local checks, idempotent grant / update / revoke, emulator runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.core.errors import AlreadyExistsError, InvalidRequestError
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator
from tests.operators.gemini_fake import (
    HEAVY_PROVIDER_MODULES,
    OWNER,
    FakeGeminiApi,
    error,
    provider_modules_loaded_by,
)
from tests.support.emulator import emulator_hook, train

LIST = ("GET", "/v1beta/tunedModels/m1/permissions")
CREATE = ("POST", "/v1beta/tunedModels/m1/permissions")


@pytest.fixture
def api() -> FakeGeminiApi:
    return FakeGeminiApi()


def run(api: FakeGeminiApi, **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"task_id": "share", "tuned_model_name": "m1", **kwargs}
    operator = TunedModelPermissionsOperator(**arguments)
    operator.hook = api.hook()
    return operator.execute(context={})  # type: ignore[arg-type]


# --- arguments checked when the DAG is parsed --------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"action": "grant", "role": "OWNER"}, "transfer"),
        ({"action": "grant"}, "role None: required for grant"),
        ({"action": "update", "role": "ROLE_UNSPECIFIED"}, "one of READER, WRITER"),
        ({"action": "revoke", "role": "READER"}, "omit it"),
        ({"action": "share", "role": "READER"}, "action 'share'"),
        ({"action": "grant", "role": "READER", "grantee_type": "DOMAIN"}, "grantee_type"),
        ({"action": "grant", "role": "WRITER", "grantee_type": "EVERYONE"}, "only be a READER"),
    ],
)
def test_invalid_arguments_fail_when_the_dag_is_parsed(
    kwargs: dict[str, Any], expected: str
) -> None:
    with pytest.raises(InvalidRequestError, match=expected):
        TunedModelPermissionsOperator(task_id="t", tuned_model_name="m1", **kwargs)


def test_owner_is_refused_with_advice_to_transfer_ownership() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        TunedModelPermissionsOperator(
            task_id="t",
            tuned_model_name="m1",
            action="grant",
            email_address="a@x.com",
            role="owner",
        )
    assert "use TransferTunedModelOwnershipOperator" in str(caught.value)


@pytest.mark.parametrize(
    ("grantee_type", "email", "expected"),
    [
        ("USER", None, "required for grantee_type USER"),
        ("GROUP", "", "required for grantee_type GROUP"),
        ("USER", "not-an-email", "not an email address"),
        ("EVERYONE", "a@x.com", "must be omitted"),
    ],
)
def test_grantee_is_checked_before_any_request(
    api: FakeGeminiApi, grantee_type: str, email: str | None, expected: str
) -> None:
    with pytest.raises(AirflowFailException, match=expected):
        run(api, action="grant", role="READER", grantee_type=grantee_type, email_address=email)
    assert api.requests == []


def test_a_malformed_model_name_is_refused_before_any_request(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="tuned model name"):
        run(api, tuned_model_name="models/x", action="revoke", email_address="a@x.com")
    assert api.requests == []


def test_template_fields() -> None:
    assert TunedModelPermissionsOperator.template_fields == ("tuned_model_name", "email_address")


def test_module_import_is_cheap() -> None:
    loaded = provider_modules_loaded_by("airflow_provider_tunedmodels.operators.permissions")
    assert "airflow_provider_tunedmodels.operators.permissions" in loaded
    assert not loaded & HEAVY_PROVIDER_MODULES


# --- grant ---------------------------------------------------------------------------------------


def test_grant_creates_a_missing_permission(api: FakeGeminiApi) -> None:
    result = run(api, action="grant", role="reader", email_address="ana@example.com")

    assert result == {
        "tuned_model": "tunedModels/m1",
        "action": "grant",
        "changed": True,
        "permission": {
            "name": "tunedModels/m1/permissions/p1",
            "granteeType": "USER",
            "emailAddress": "ana@example.com",
            "role": "READER",
        },
    }
    assert api.requests == [LIST, CREATE]


def test_grant_again_is_a_no_op(api: FakeGeminiApi) -> None:
    run(api, action="grant", role="READER", email_address="ana@example.com")
    again = run(api, action="grant", role="READER", email_address="ANA@example.com")

    assert again["changed"] is False
    assert again["permission"]["role"] == "READER"
    assert api.writes() == [CREATE]
    assert len(api.permissions) == 1


@pytest.mark.parametrize(("held", "email"), [("WRITER", "li@example.com"), ("OWNER", OWNER)])
def test_grant_is_satisfied_by_a_stronger_role(api: FakeGeminiApi, held: str, email: str) -> None:
    if held != "OWNER":
        api.add_permission(email, held)

    result = run(api, action="grant", role="READER", email_address=email)

    assert result["changed"] is False
    assert result["permission"]["role"] == held
    assert api.writes() == []


def test_grant_over_a_weaker_role_fails_and_points_to_update(api: FakeGeminiApi) -> None:
    api.add_permission("li@example.com", "READER")

    with pytest.raises(AirflowFailException, match="use action='update' to change it to WRITER"):
        run(api, action="grant", role="WRITER", email_address="li@example.com")
    assert api.writes() == []


def test_grant_finds_the_grantee_on_a_later_page(api: FakeGeminiApi) -> None:
    for index in range(4):
        api.add_permission(f"user{index}@example.com", "READER")

    result = run(api, action="grant", role="READER", email_address="user3@example.com")

    assert result["changed"] is False
    assert api.requests == [LIST] * 3
    assert api.writes() == []


def test_grant_to_everyone_sends_no_email(api: FakeGeminiApi) -> None:
    bodies: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> None:
        bodies.append(body)

    api.on_create = record

    result = run(api, action="grant", role="READER", grantee_type="EVERYONE")

    assert bodies == [{"granteeType": "EVERYONE", "role": "READER"}]
    assert result["permission"]["granteeType"] == "EVERYONE"


def test_grant_that_loses_a_race_adopts_the_existing_permission(api: FakeGeminiApi) -> None:
    def granted_meanwhile(body: dict[str, Any]) -> httpx.Response:
        api.add_permission(body["emailAddress"], "READER")
        return error(409, "ALREADY_EXISTS")

    api.on_create = granted_meanwhile

    result = run(api, action="grant", role="READER", email_address="ana@example.com")

    assert result["changed"] is False
    assert api.requests == [LIST, CREATE, LIST]


def test_grant_conflict_without_a_visible_permission_is_raised(api: FakeGeminiApi) -> None:
    api.on_create = lambda body: error(409, "ALREADY_EXISTS")

    with pytest.raises(AlreadyExistsError):
        run(api, action="grant", role="READER", email_address="ana@example.com")


# --- update --------------------------------------------------------------------------------------


def test_update_changes_the_role(api: FakeGeminiApi) -> None:
    held = api.add_permission("li@example.com", "READER")

    result = run(api, action="update", role="WRITER", email_address="li@example.com")

    assert result["changed"] is True
    assert result["permission"] == {**held, "role": "WRITER"}
    assert api.writes() == [("PATCH", f"/v1beta/{held['name']}")]


def test_update_to_the_same_role_is_a_no_op(api: FakeGeminiApi) -> None:
    api.add_permission("li@example.com", "WRITER")

    result = run(api, action="update", role="WRITER", email_address="li@example.com")

    assert result["changed"] is False
    assert api.writes() == []


def test_update_without_a_permission_fails_and_points_to_grant(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="use action='grant'"):
        run(api, action="update", role="WRITER", email_address="li@example.com")
    assert api.writes() == []


def test_update_of_the_owner_is_refused(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="transferring ownership"):
        run(api, action="update", role="READER", email_address=OWNER)
    assert api.writes() == []


# --- revoke --------------------------------------------------------------------------------------


def test_revoke_deletes_the_permission(api: FakeGeminiApi) -> None:
    held = api.add_permission("li@example.com", "WRITER")

    result = run(api, action="revoke", email_address="li@example.com")

    assert result == {
        "tuned_model": "tunedModels/m1",
        "action": "revoke",
        "changed": True,
        "permission": held,
    }
    assert api.writes() == [("DELETE", f"/v1beta/{held['name']}")]
    assert api.permissions == []


def test_revoke_for_everyone(api: FakeGeminiApi) -> None:
    api.add_permission("li@example.com", "READER")
    public = api.add_permission(None, "READER", grantee_type="EVERYONE")

    result = run(api, action="revoke", grantee_type="EVERYONE")

    assert result["permission"] == public
    assert [p["emailAddress"] for p in api.permissions] == ["li@example.com"]


def test_revoke_of_a_missing_permission_is_a_no_op(api: FakeGeminiApi) -> None:
    result = run(api, action="revoke", email_address="li@example.com")

    assert result["changed"] is False
    assert result["permission"] is None
    assert api.writes() == []


def test_revoke_of_a_missing_permission_can_fail(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="no permission on tunedModels/m1 to revoke"):
        run(api, action="revoke", email_address="li@example.com", ignore_if_missing=False)


def test_revoke_that_finds_the_permission_gone_is_a_no_op(api: FakeGeminiApi) -> None:
    api.add_permission("li@example.com", "READER")
    api.delete_replies = [error(404, "NOT_FOUND")]

    result = run(api, action="revoke", email_address="li@example.com")

    assert result["changed"] is False


def test_revoke_whose_retry_finds_it_gone_counts_as_revoked(api: FakeGeminiApi) -> None:
    api.add_permission("li@example.com", "READER")
    api.delete_replies = [error(503, "UNAVAILABLE"), error(404, "NOT_FOUND")]

    result = run(api, action="revoke", email_address="li@example.com")

    assert result["changed"] is True


def test_revoke_of_the_owner_is_refused(api: FakeGeminiApi) -> None:
    with pytest.raises(AirflowFailException, match="owner's permission cannot be changed"):
        run(api, action="revoke", email_address=OWNER)
    assert api.writes() == []


# --- against the emulator ------------------------------------------------------------------------


def test_lifecycle_against_the_emulator(emulator: RunningEmulator) -> None:
    hook = emulator_hook(emulator)
    train(hook, "shared-model", [("hi", "hello")])

    def apply(**kwargs: Any) -> dict[str, Any]:
        operator = TunedModelPermissionsOperator(
            task_id="share", tuned_model_name="tunedModels/shared-model", **kwargs
        )
        operator.hook = hook
        return operator.execute(context={})  # type: ignore[arg-type]

    def roles() -> dict[str, str]:
        return {
            str(p.email_address or "EVERYONE"): str(p.role.value)  # type: ignore[union-attr]
            for p in hook.iter_permissions("shared-model")
        }

    assert apply(action="grant", role="READER", email_address="ana@example.com")["changed"]
    assert not apply(action="grant", role="READER", email_address="ana@example.com")["changed"]
    assert apply(action="grant", role="READER", grantee_type="EVERYONE")["changed"]
    assert apply(action="update", role="WRITER", email_address="ana@example.com")["changed"]
    assert roles() == {
        "user@example.com": "OWNER",
        "ana@example.com": "WRITER",
        "EVERYONE": "READER",
    }

    assert apply(action="revoke", email_address="ana@example.com")["changed"]
    assert not apply(action="revoke", email_address="ana@example.com")["changed"]
    with pytest.raises(AirflowFailException, match="owner"):
        apply(action="revoke", email_address="user@example.com")
    assert roles() == {"user@example.com": "OWNER", "EVERYONE": "READER"}
