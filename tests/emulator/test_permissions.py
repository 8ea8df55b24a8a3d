"""tunedModels.permissions and transferOwnership: the role rules."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.emulator.support import Api, assert_error, create_body

OWNER = "user@example.com"


def _grant(api: Api, model: str, **permission: object) -> dict[str, object]:
    response = api.post(f"/v1beta/{model}/permissions", json=permission)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def _prompt(client: Api, model: str) -> int:
    return client.post(
        f"/v1beta/{model}:generateContent", json={"contents": [{"parts": [{"text": "1"}]}]}
    ).status_code


def test_owner_is_listed(api: Api) -> None:
    model = api.tuned(create_body(2))
    listed = api.get(f"/v1beta/{model}/permissions").json()["permissions"]
    assert len(listed) == 1
    assert listed[0]["granteeType"] == "USER"
    assert listed[0]["emailAddress"] == OWNER
    assert listed[0]["role"] == "OWNER"
    assert re.fullmatch(re.escape(model) + r"/permissions/[a-z0-9]+", listed[0]["name"])
    assert api.get(f"/v1beta/{listed[0]['name']}").json() == listed[0]


def test_create_get_patch_delete(api: Api) -> None:
    model = api.tuned(create_body(2))
    created = _grant(api, model, granteeType="USER", emailAddress="bob@example.com", role="READER")
    assert created["granteeType"] == "USER"
    assert created["role"] == "READER"
    assert api.get(f"/v1beta/{created['name']}").json() == created
    patched = api.patch(
        f"/v1beta/{created['name']}", params={"updateMask": "role"}, json={"role": "WRITER"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["role"] == "WRITER"
    assert api.delete(f"/v1beta/{created['name']}").json() == {}
    assert_error(api.get(f"/v1beta/{created['name']}"), 404, "NOT_FOUND")
    assert len(api.get(f"/v1beta/{model}/permissions").json()["permissions"]) == 1


def test_numeric_enums_and_inferred_grantee_types(api: Api) -> None:
    model = api.tuned(create_body(2))
    numeric = _grant(api, model, granteeType=1, emailAddress="carol@example.com", role=3)
    assert (numeric["granteeType"], numeric["role"]) == ("USER", "READER")
    group = _grant(api, model, emailAddress="team@googlegroups.com", role="READER")
    assert group["granteeType"] == "GROUP"
    inferred = _grant(api, model, emailAddress="dave@example.com", role="WRITER")
    assert inferred["granteeType"] == "USER"
    everyone = _grant(api, model, granteeType="EVERYONE", role="READER")
    assert "emailAddress" not in everyone


@pytest.mark.parametrize(
    ("permission", "fragment"),
    [
        ({"emailAddress": "bob@example.com"}, "role is required"),
        ({"emailAddress": "bob@example.com", "role": "OWNER"}, "transferOwnership"),
        ({"granteeType": "USER", "role": "READER"}, "email_address is required"),
        ({"granteeType": "EVERYONE", "emailAddress": "a@b.c", "role": "READER"}, "must not be set"),
        ({"granteeType": "EVERYONE", "role": "WRITER"}, "READER"),
        ({"emailAddress": "bob@example.com", "role": "BOSS"}, "Permission.Role"),
        ({"emailAddress": "not-an-email", "role": "READER"}, "Invalid email"),
        ({"emailAddress": "bob@example.com", "role": "READER", "extra": 1}, 'Unknown name "extra"'),
    ],
)
def test_create_rules(api: Api, permission: dict[str, object], fragment: str) -> None:
    model = api.tuned(create_body(2))
    response = api.post(f"/v1beta/{model}/permissions", json=permission)
    assert fragment in assert_error(response, 400, "INVALID_ARGUMENT")["message"]


def test_duplicate_grantee_already_exists(api: Api) -> None:
    model = api.tuned(create_body(2))
    _grant(api, model, emailAddress="bob@example.com", role="READER")
    duplicate = api.post(
        f"/v1beta/{model}/permissions", json={"emailAddress": "BOB@example.com", "role": "WRITER"}
    )
    assert_error(duplicate, 409, "ALREADY_EXISTS")
    _grant(api, model, granteeType="EVERYONE", role="READER")
    again = api.post(
        f"/v1beta/{model}/permissions", json={"granteeType": "EVERYONE", "role": "READER"}
    )
    assert_error(again, 409, "ALREADY_EXISTS")


def test_patch_rules(api: Api) -> None:
    model = api.tuned(create_body(2))
    owner = api.get(f"/v1beta/{model}/permissions").json()["permissions"][0]["name"]
    reader = _grant(api, model, emailAddress="bob@example.com", role="READER")["name"]
    assert_error(
        api.patch(f"/v1beta/{reader}", json={"role": "WRITER"}),
        400,
        "INVALID_ARGUMENT",
        "update_mask is required",
    )
    wrong_path = api.patch(
        f"/v1beta/{reader}", params={"updateMask": "emailAddress"}, json={"emailAddress": "x@y.z"}
    )
    assert_error(wrong_path, 400, "INVALID_ARGUMENT", "role")
    to_owner = api.patch(f"/v1beta/{reader}", params={"updateMask": "role"}, json={"role": "OWNER"})
    assert_error(to_owner, 400, "INVALID_ARGUMENT", "transferOwnership")
    demote_owner = api.patch(
        f"/v1beta/{owner}", params={"updateMask": "role"}, json={"role": "READER"}
    )
    assert_error(demote_owner, 400, "FAILED_PRECONDITION")
    assert_error(api.delete(f"/v1beta/{owner}"), 400, "FAILED_PRECONDITION")
    assert_error(api.get(f"/v1beta/{model}/permissions/nope"), 404, "NOT_FOUND")


def test_roles_are_concentric(api: Api, user: Callable[[str], Api]) -> None:
    model = api.tuned(create_body(2))
    reader, writer, stranger = (
        user("reader@example.com"),
        user("writer@example.com"),
        user("x@example.com"),
    )
    _grant(api, model, emailAddress="reader@example.com", role="READER")
    _grant(api, model, emailAddress="writer@example.com", role="WRITER")
    patch = {"params": {"updateMask": "description"}, "json": {"description": "d"}}

    # a stranger can do nothing
    denied = assert_error(stranger.get(f"/v1beta/{model}"), 403, "PERMISSION_DENIED")
    assert denied["message"] == f"You do not have permission to access tuned model {model}"
    assert _prompt(stranger, model) == 403
    # a reader can read and generate, not edit or share
    assert reader.get(f"/v1beta/{model}").status_code == 200
    assert _prompt(reader, model) == 200
    assert reader.get(f"/v1beta/{model}/operations").status_code == 200
    assert_error(reader.patch(f"/v1beta/{model}", **patch), 403, "PERMISSION_DENIED")
    assert_error(reader.get(f"/v1beta/{model}/permissions"), 403, "PERMISSION_DENIED")
    share = {"emailAddress": "friend@example.com", "role": "READER"}
    assert_error(reader.post(f"/v1beta/{model}/permissions", json=share), 403, "PERMISSION_DENIED")
    # a writer can edit and share, not delete or transfer
    assert writer.patch(f"/v1beta/{model}", **patch).status_code == 200
    friend = writer.post(f"/v1beta/{model}/permissions", json=share)
    assert friend.status_code == 200
    assert writer.delete(f"/v1beta/{friend.json()['name']}").status_code == 200
    assert_error(writer.delete(f"/v1beta/{model}"), 403, "PERMISSION_DENIED")
    transfer = writer.post(
        f"/v1beta/{model}:transferOwnership", json={"emailAddress": "writer@example.com"}
    )
    assert_error(transfer, 403, "PERMISSION_DENIED")
    # the owner can delete
    assert api.delete(f"/v1beta/{model}").status_code == 200


def test_everyone_grants_read_to_every_caller(api: Api, user: Callable[[str], Api]) -> None:
    model = api.tuned(create_body(2))
    stranger = user("x@example.com")
    assert stranger.get(f"/v1beta/{model}").status_code == 403
    _grant(api, model, granteeType="EVERYONE", role="READER")
    assert stranger.get(f"/v1beta/{model}").status_code == 200
    assert _prompt(stranger, model) == 200
    assert stranger.get("/v1beta/tunedModels").json() == {}


def test_transfer_ownership_makes_the_old_owner_a_writer(
    api: Api, user: Callable[[str], Api]
) -> None:
    model = api.tuned(create_body(2))
    _grant(api, model, emailAddress="carol@example.com", role="READER")
    response = api.post(
        f"/v1beta/{model}:transferOwnership", json={"email_address": "carol@example.com"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {}
    carol = user("carol@example.com")
    roles = {
        p["emailAddress"]: p["role"]
        for p in carol.get(f"/v1beta/{model}/permissions").json()["permissions"]
    }
    assert roles == {OWNER: "WRITER", "carol@example.com": "OWNER"}
    assert_error(api.delete(f"/v1beta/{model}"), 403, "PERMISSION_DENIED")
    carol_models = carol.get("/v1beta/tunedModels", params={"filter": "owner:me"}).json()[
        "tunedModels"
    ]
    assert [m["name"] for m in carol_models] == [model]
    # to someone without a permission yet
    assert (
        carol.post(
            f"/v1beta/{model}:transferOwnership", json={"emailAddress": "dan@example.com"}
        ).status_code
        == 200
    )
    dan = user("dan@example.com")
    roles = {
        p["emailAddress"]: p["role"]
        for p in dan.get(f"/v1beta/{model}/permissions").json()["permissions"]
    }
    assert roles == {OWNER: "WRITER", "carol@example.com": "WRITER", "dan@example.com": "OWNER"}
    assert dan.delete(f"/v1beta/{model}").status_code == 200


def test_transfer_ownership_requires_an_email(api: Api) -> None:
    model = api.tuned(create_body(2))
    assert_error(
        api.post(f"/v1beta/{model}:transferOwnership", json={}),
        400,
        "INVALID_ARGUMENT",
        "email_address",
    )
    assert_error(
        api.post("/v1beta/tunedModels/none:transferOwnership", json={"emailAddress": "a@b.c"}),
        404,
        "NOT_FOUND",
    )


def test_permission_list_paginates(api: Api) -> None:
    model = api.tuned(create_body(2))
    for i in range(4):
        _grant(api, model, emailAddress=f"u{i}@example.com", role="READER")
    first = api.get(f"/v1beta/{model}/permissions", params={"pageSize": 3}).json()
    assert first["permissions"][0]["role"] == "OWNER"
    second = api.get(
        f"/v1beta/{model}/permissions", params={"pageSize": 3, "pageToken": first["nextPageToken"]}
    ).json()
    emails = [p["emailAddress"] for p in first["permissions"] + second["permissions"]]
    assert emails == [OWNER] + [f"u{i}@example.com" for i in range(4)]
    assert "nextPageToken" not in second
