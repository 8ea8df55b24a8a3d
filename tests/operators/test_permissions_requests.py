"""TunedModelPermissionsOperator: arguments checked when the DAG is parsed, and what it sends.

What it sends (bodies, update masks, page tokens) and that bad input sends
nothing are checked against respx routes; what it does to a model's permissions
is in ``test_permissions_operator.py``, against the bundled emulator.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels._compat import AirflowFailException
from airflow_provider_tunedmodels.core.errors import AlreadyExistsError, InvalidRequestError
from airflow_provider_tunedmodels.emulator.auth import DEFAULT_USER_EMAIL
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators.permissions import TunedModelPermissionsOperator
from tests.operators.import_cost import HEAVY_PROVIDER_MODULES, provider_modules_loaded_by
from tests.operators.permissions_support import CREATE, LIST, PERMISSIONS_PATH, run
from tests.operators.wire import page, received, sent_json
from tests.support.tuning_fakes import error

OWNER_PERMISSION = {
    "name": "tunedModels/m1/permissions/owner",
    "granteeType": "USER",
    "emailAddress": DEFAULT_USER_EMAIL,
    "role": "OWNER",
}


def user(email: str, role: str, permission_id: str) -> dict[str, Any]:
    """A user's permission on ``m1`` in wire format."""
    return {
        "name": f"tunedModels/m1/permissions/{permission_id}",
        "granteeType": "USER",
        "emailAddress": email,
        "role": role,
    }


# --- arguments checked when the DAG is parsed ----------------------------------------------------


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


def test_template_fields() -> None:
    assert TunedModelPermissionsOperator.template_fields == ("tuned_model_name", "email_address")


def test_module_import_is_cheap() -> None:
    loaded = provider_modules_loaded_by("airflow_provider_tunedmodels.operators.permissions")
    assert "airflow_provider_tunedmodels.operators.permissions" in loaded
    assert not loaded & HEAVY_PROVIDER_MODULES


# --- what is sent (respx) ------------------------------------------------------------------------


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
    api: respx.MockRouter,
    mocked: GeminiTunedModelsHook,
    grantee_type: str,
    email: str | None,
    expected: str,
) -> None:
    with pytest.raises(AirflowFailException, match=expected):
        run(mocked, action="grant", role="READER", grantee_type=grantee_type, email_address=email)
    assert api.calls.call_count == 0


def test_grant_lists_then_creates_the_permission(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    listing = api.get(PERMISSIONS_PATH).mock(return_value=page(OWNER_PERMISSION))
    created = user("ana@example.com", "READER", "p1")
    create = api.post(PERMISSIONS_PATH).mock(return_value=httpx.Response(200, json=created))

    result = run(mocked, action="grant", role="reader", email_address="ana@example.com")

    assert result["permission"] == created
    assert received(api) == [LIST, CREATE]
    assert listing.calls.last.request.url.params.get("pageToken") is None
    assert sent_json(create) == [
        {"granteeType": "USER", "emailAddress": "ana@example.com", "role": "READER"}
    ]


def test_grant_to_everyone_sends_no_email(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    api.get(PERMISSIONS_PATH).mock(return_value=page(OWNER_PERMISSION))
    public = {"name": "tunedModels/m1/permissions/p2", "granteeType": "EVERYONE", "role": "READER"}
    create = api.post(PERMISSIONS_PATH).mock(return_value=httpx.Response(200, json=public))

    result = run(mocked, action="grant", role="READER", grantee_type="EVERYONE")

    assert sent_json(create) == [{"granteeType": "EVERYONE", "role": "READER"}]
    assert result["permission"]["granteeType"] == "EVERYONE"


def test_listing_follows_page_tokens(api: respx.MockRouter, mocked: GeminiTunedModelsHook) -> None:
    listing = api.get(PERMISSIONS_PATH).mock(
        side_effect=[
            page(OWNER_PERMISSION, user("a@example.com", "READER", "p1"), next_page_token="t2"),
            page(user("li@example.com", "WRITER", "p2")),
        ]
    )

    result = run(mocked, action="grant", role="READER", email_address="li@example.com")

    assert result["changed"] is False
    assert [call.request.url.params.get("pageToken") for call in listing.calls] == [None, "t2"]
    assert api.calls.call_count == 2


def test_update_patches_only_the_role(api: respx.MockRouter, mocked: GeminiTunedModelsHook) -> None:
    reader = user("li@example.com", "READER", "p1")
    api.get(PERMISSIONS_PATH).mock(return_value=page(OWNER_PERMISSION, reader))
    patch = api.patch(f"/v1beta/{reader['name']}").mock(
        return_value=httpx.Response(200, json={**reader, "role": "WRITER"})
    )

    run(mocked, action="update", role="WRITER", email_address="li@example.com")

    assert dict(patch.calls.last.request.url.params) == {"updateMask": "role"}
    assert sent_json(patch) == [{"role": "WRITER"}]


def test_revoke_deletes_the_listed_permission(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    writer = user("li@example.com", "WRITER", "p7")
    api.get(PERMISSIONS_PATH).mock(return_value=page(OWNER_PERMISSION, writer))
    delete = api.delete(f"/v1beta/{writer['name']}").mock(return_value=httpx.Response(200, json={}))

    run(mocked, action="revoke", email_address="LI@example.com")

    assert delete.call_count == 1


def test_grant_conflict_without_a_visible_permission_is_raised(
    api: respx.MockRouter, mocked: GeminiTunedModelsHook
) -> None:
    api.get(PERMISSIONS_PATH).mock(return_value=page(OWNER_PERMISSION))
    api.post(PERMISSIONS_PATH).mock(return_value=error(409, "ALREADY_EXISTS"))

    with pytest.raises(AlreadyExistsError):
        run(mocked, action="grant", role="READER", email_address="ana@example.com")
    assert received(api) == [LIST, CREATE, LIST]
