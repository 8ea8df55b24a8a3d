"""TunedModelPermissionsOperator on the bundled emulator: idempotent grant / update / revoke.

:class:`~tests.traffic.Traffic` shows which requests the operator sent, and lets
a second client change the model at the exact moment a real race would.
Arguments and request shapes are in ``test_permissions_requests.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.emulator.auth import DEFAULT_USER_EMAIL
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator
from tests.operators.permissions_support import CREATE, LIST, run
from tests.support.emulator import BASE_MODEL, emulator_hook, train
from tests.traffic import Traffic

#: The emulator's API key belongs to this user, who owns every model the tests create.
OWNER = DEFAULT_USER_EMAIL
NEW_MODEL = {
    "baseModel": BASE_MODEL,
    "tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}},
}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_client(emulator: RunningEmulator) -> Iterator[GeminiTunedModelsHook]:
    hook = emulator_hook(emulator)
    yield hook
    hook.close()


@pytest.fixture
def other(emulator: RunningEmulator, second_client: GeminiTunedModelsHook) -> GeminiTunedModelsHook:
    """An emptied emulator holding tuned model ``m1``, and a second client of its owner.

    The second client stands for another worker or a person in the console: it
    sets permissions up and changes them behind the operator's back. The model
    is still tuning, which does not matter to its permissions.
    """
    emulator.reset()
    second_client.create_tuned_model(NEW_MODEL, tuned_model_id="m1")
    return second_client


@pytest.fixture
def hook(
    emulator: RunningEmulator, other: GeminiTunedModelsHook, traffic: Traffic
) -> Iterator[GeminiTunedModelsHook]:
    """The operator's hook: talks to the emulator through ``traffic``."""
    hook = emulator_hook(emulator, traffic=traffic)
    yield hook
    hook.close()


def grant(
    other: GeminiTunedModelsHook, email: str | None, role: str, grantee_type: str = "USER"
) -> dict[str, Any]:
    """Give a permission on ``m1`` through the second client; return it in wire format."""
    permission = {"granteeType": grantee_type, "role": role}
    if email is not None:
        permission["emailAddress"] = email
    return other.create_permission("m1", permission).to_wire()


def held(other: GeminiTunedModelsHook) -> list[dict[str, Any]]:
    """The permissions on ``m1`` other than the owner's, as the emulator lists them."""
    listed = [permission.to_wire() for permission in other.iter_permissions("m1")]
    return [permission for permission in listed if permission["role"] != "OWNER"]


# --- grant (emulator) ----------------------------------------------------------------------------


def test_grant_creates_a_missing_permission(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    result = run(hook, action="grant", role="reader", email_address="ana@example.com")

    [granted] = held(other)
    assert granted["name"].startswith("tunedModels/m1/permissions/")
    assert result == {
        "tuned_model": "tunedModels/m1",
        "action": "grant",
        "changed": True,
        "permission": {
            "name": granted["name"],
            "granteeType": "USER",
            "emailAddress": "ana@example.com",
            "role": "READER",
        },
    }
    assert traffic.calls() == [LIST, CREATE]


def test_grant_again_is_a_no_op(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    run(hook, action="grant", role="READER", email_address="ana@example.com")
    again = run(hook, action="grant", role="READER", email_address="ANA@example.com")

    assert again["changed"] is False
    assert again["permission"]["role"] == "READER"
    assert traffic.writes() == [CREATE]
    assert len(held(other)) == 1


@pytest.mark.parametrize(("role", "email"), [("WRITER", "li@example.com"), ("OWNER", OWNER)])
def test_grant_is_satisfied_by_a_stronger_role(
    hook: GeminiTunedModelsHook,
    other: GeminiTunedModelsHook,
    traffic: Traffic,
    role: str,
    email: str,
) -> None:
    if role != "OWNER":
        grant(other, email, role)

    result = run(hook, action="grant", role="READER", email_address=email)

    assert result["changed"] is False
    assert result["permission"]["role"] == role
    assert traffic.writes() == []


def test_grant_over_a_weaker_role_fails_and_points_to_update(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    grant(other, "li@example.com", "READER")

    with pytest.raises(AirflowFailException, match="use action='update' to change it to WRITER"):
        run(hook, action="grant", role="WRITER", email_address="li@example.com")
    assert traffic.writes() == []
    assert held(other)[0]["role"] == "READER"


def test_grant_finds_the_grantee_on_a_later_page(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    # The emulator lists 10 permissions per page; with the owner's, these make 3 pages.
    for index in range(20):
        grant(other, f"user{index}@example.com", "READER")

    result = run(hook, action="grant", role="READER", email_address="user19@example.com")

    assert result["changed"] is False
    assert result["permission"]["emailAddress"] == "user19@example.com"
    assert traffic.calls() == [LIST] * 3
    assert [bool(sent.params.get("pageToken")) for sent in traffic.sent] == [False, True, True]
    assert traffic.writes() == []


def test_grant_that_loses_a_race_adopts_the_existing_permission(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    def granted_meanwhile(request: httpx.Request) -> None:
        if (request.method, request.url.path) == CREATE:
            grant(other, "ana@example.com", "READER")

    traffic.before = granted_meanwhile

    result = run(hook, action="grant", role="READER", email_address="ana@example.com")

    [winner] = held(other)
    assert result["changed"] is False
    assert result["permission"] == winner
    assert traffic.calls() == [LIST, CREATE, LIST]


# --- update (emulator) ---------------------------------------------------------------------------


def test_update_changes_the_role(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    reader = grant(other, "li@example.com", "READER")

    result = run(hook, action="update", role="WRITER", email_address="li@example.com")

    assert result["changed"] is True
    assert result["permission"] == {**reader, "role": "WRITER"}
    assert held(other) == [{**reader, "role": "WRITER"}]
    assert traffic.writes() == [("PATCH", f"/v1beta/{reader['name']}")]


def test_update_to_the_same_role_is_a_no_op(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    grant(other, "li@example.com", "WRITER")

    result = run(hook, action="update", role="WRITER", email_address="li@example.com")

    assert result["changed"] is False
    assert traffic.writes() == []


def test_update_without_a_permission_fails_and_points_to_grant(
    hook: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    with pytest.raises(AirflowFailException, match="use action='grant'"):
        run(hook, action="update", role="WRITER", email_address="li@example.com")
    assert traffic.writes() == []


def test_update_of_the_owner_is_refused(hook: GeminiTunedModelsHook, traffic: Traffic) -> None:
    with pytest.raises(AirflowFailException, match="transferring ownership"):
        run(hook, action="update", role="READER", email_address=OWNER)
    assert traffic.writes() == []


# --- revoke (emulator) ---------------------------------------------------------------------------


def test_revoke_deletes_the_permission(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    writer = grant(other, "li@example.com", "WRITER")

    result = run(hook, action="revoke", email_address="li@example.com")

    assert result == {
        "tuned_model": "tunedModels/m1",
        "action": "revoke",
        "changed": True,
        "permission": writer,
    }
    assert traffic.writes() == [("DELETE", f"/v1beta/{writer['name']}")]
    assert held(other) == []


def test_revoke_for_everyone(hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook) -> None:
    grant(other, "li@example.com", "READER")
    public = grant(other, None, "READER", grantee_type="EVERYONE")

    result = run(hook, action="revoke", grantee_type="EVERYONE")

    assert result["permission"] == public
    assert [p.get("emailAddress") for p in held(other)] == ["li@example.com"]


def test_revoke_of_a_missing_permission_is_a_no_op(
    hook: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    result = run(hook, action="revoke", email_address="li@example.com")

    assert result["changed"] is False
    assert result["permission"] is None
    assert traffic.writes() == []


def test_revoke_of_a_missing_permission_can_fail(hook: GeminiTunedModelsHook) -> None:
    with pytest.raises(AirflowFailException, match="no permission on tunedModels/m1 to revoke"):
        run(hook, action="revoke", email_address="li@example.com", ignore_if_missing=False)


def test_revoke_that_finds_the_permission_gone_is_a_no_op(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    reader = grant(other, "li@example.com", "READER")

    def revoked_meanwhile(request: httpx.Request) -> None:
        if request.method == "DELETE":
            other.delete_permission(reader["name"])

    traffic.before = revoked_meanwhile

    result = run(hook, action="revoke", email_address="li@example.com")

    assert result["changed"] is False
    assert traffic.writes() == [("DELETE", f"/v1beta/{reader['name']}")]


def test_revoke_whose_retry_finds_it_gone_counts_as_revoked(
    hook: GeminiTunedModelsHook, other: GeminiTunedModelsHook, traffic: Traffic
) -> None:
    reader = grant(other, "li@example.com", "READER")
    lost: list[str] = []

    def lose_the_first_answer(request: httpx.Request) -> None:
        if request.method == "DELETE" and not lost:
            lost.append(request.url.path)
            raise httpx.ReadError("connection reset before the answer was read")

    traffic.after = lose_the_first_answer

    result = run(hook, action="revoke", email_address="li@example.com")

    assert result["changed"] is True
    # The first DELETE did its work; its retry met NOT_FOUND.
    assert traffic.writes() == [("DELETE", f"/v1beta/{reader['name']}")] * 2
    assert held(other) == []


def test_revoke_of_the_owner_is_refused(hook: GeminiTunedModelsHook, traffic: Traffic) -> None:
    with pytest.raises(AirflowFailException, match="owner's permission cannot be changed"):
        run(hook, action="revoke", email_address=OWNER)
    assert traffic.writes() == []


# --- a whole lifecycle on the emulator -----------------------------------------------------------


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


def test_a_name_of_another_kind_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(
        ValueError, match="tuned_model_name: 'models/x' is the name of a base model"
    ):
        TunedModelPermissionsOperator(
            task_id="t", tuned_model_name="models/x", action="revoke", email_address="a@x.com"
        )


def test_a_rendered_name_of_another_kind_fails_before_any_request(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    operator = TunedModelPermissionsOperator(
        task_id="t", tuned_model_name="{{ m }}", action="revoke", email_address="a@x.com"
    )
    operator.__dict__["hook"] = mocked
    operator.tuned_model_name = "tunedModels/m1/permissions/p1"
    with pytest.raises(AirflowFailException, match="is the name of a permission"):
        operator.execute(context={})  # type: ignore[arg-type]
    assert not api.calls
