"""tunedModels.get, list (pagination, filters), patch and delete."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.emulator.support import Api, assert_error, create_body


def test_get_unknown_model_is_not_found_with_the_observed_message(api: Api) -> None:
    error = assert_error(api.get("/v1beta/tunedModels/generate-num-8122"), 404, "NOT_FOUND")
    assert error["message"] == "Tuned model tunedModels/generate-num-8122 does not exist."


def test_unknown_routes_answer_the_error_envelope(api: Api) -> None:
    assert_error(api.get("/v1beta/somethingElse"), 404, "NOT_FOUND")
    assert_error(api.http.put("/v1beta/tunedModels/x"), 404, "NOT_FOUND")
    assert_error(api.get("/v1/tunedModels"), 404, "NOT_FOUND")


def test_list_is_empty_then_paginates_with_opaque_tokens(api: Api) -> None:
    assert api.get("/v1beta/tunedModels").json() == {}
    names = [
        api.create(create_body(2, displayName=f"model {i}"))["metadata"]["tunedModel"]
        for i in range(13)
    ]
    first = api.get("/v1beta/tunedModels").json()
    assert [m["name"] for m in first["tunedModels"]] == names[:10]
    assert all("trainingData" not in m["tuningTask"] for m in first["tunedModels"])
    second = api.get("/v1beta/tunedModels", params={"pageToken": first["nextPageToken"]}).json()
    assert [m["name"] for m in second["tunedModels"]] == names[10:]
    assert "nextPageToken" not in second
    collected: list[str] = []
    token = None
    while True:
        params = {"pageSize": 4, **({"pageToken": token} if token else {})}
        page = api.get("/v1beta/tunedModels", params=params).json()
        collected += [m["name"] for m in page["tunedModels"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert collected == names
    big = api.get("/v1beta/tunedModels", params={"page_size": 5000}).json()
    assert len(big["tunedModels"]) == 13


def test_page_token_survives_deletions(api: Api) -> None:
    names = [api.create(create_body(2))["metadata"]["tunedModel"] for _ in range(5)]
    page = api.get("/v1beta/tunedModels", params={"pageSize": 2}).json()
    api.delete(f"/v1beta/{names[1]}")
    api.delete(f"/v1beta/{names[2]}")
    rest = api.get(
        "/v1beta/tunedModels", params={"pageSize": 2, "pageToken": page["nextPageToken"]}
    ).json()
    assert [m["name"] for m in rest["tunedModels"]] == names[3:]


def test_page_tokens_are_bound_to_the_query(api: Api) -> None:
    for i in range(3):
        api.create(create_body(2, displayName=f"alpha {i}"))
    token = api.get("/v1beta/tunedModels", params={"pageSize": 1, "filter": "alpha"}).json()[
        "nextPageToken"
    ]
    mismatch = api.get("/v1beta/tunedModels", params={"pageSize": 1, "pageToken": token})
    assert_error(mismatch, 400, "INVALID_ARGUMENT", "page token")
    garbage = api.get("/v1beta/tunedModels", params={"pageToken": "not-a-token"})
    assert_error(garbage, 400, "INVALID_ARGUMENT", "Invalid page token.")
    assert_error(api.get("/v1beta/tunedModels", params={"pageSize": -1}), 400, "INVALID_ARGUMENT")


def test_filter_is_full_text_over_display_name_and_description(api: Api) -> None:
    api.create(create_body(2, displayName="Sentence Translator"))
    api.create(create_body(2, displayName="Other", description="translates numbers"))
    api.create(create_body(2, displayName="Unrelated"))

    def names(query: str) -> list[str]:
        listed = api.get("/v1beta/tunedModels", params={"filter": query}).json()
        return sorted(m.get("displayName", "") for m in listed.get("tunedModels", []))

    assert names("transl") == ["Other", "Sentence Translator"]
    assert names("TRANSLATOR") == ["Sentence Translator"]
    assert names("translates numbers") == ["Other"]
    assert names('"sentence translator"') == ["Sentence Translator"]
    assert names("nothing") == []
    assert_error(
        api.get("/v1beta/tunedModels", params={"filter": "owner:you"}), 400, "INVALID_ARGUMENT"
    )


def test_role_filters(api: Api, user: Callable[[str], Api]) -> None:
    bob = user("bob@example.com")
    own = api.create(create_body(2, displayName="mine"))["metadata"]["tunedModel"]
    shared_read = bob.create(create_body(2, displayName="bob read"))["metadata"]["tunedModel"]
    shared_write = bob.create(create_body(2, displayName="bob write"))["metadata"]["tunedModel"]
    public = bob.create(create_body(2, displayName="bob public"))["metadata"]["tunedModel"]
    bob.create(create_body(2, displayName="bob private"))
    me = "user@example.com"
    for model, grant in (
        (shared_read, {"emailAddress": me, "role": "READER"}),
        (shared_write, {"emailAddress": me, "role": "WRITER"}),
        (public, {"granteeType": "EVERYONE", "role": "READER"}),
    ):
        assert bob.post(f"/v1beta/{model}/permissions", json=grant).status_code == 200

    def names(query: str | None = None) -> list[str]:
        params = {"filter": query} if query else {}
        return sorted(
            m["name"]
            for m in api.get("/v1beta/tunedModels", params=params).json().get("tunedModels", [])
        )

    assert names() == sorted([own, shared_read, shared_write])
    assert names("owner:me") == [own]
    assert names("readers:me") == [shared_read]
    assert names("writers:me") == [shared_write]
    assert names("readers:everyone") == [public]
    assert names("readers:everyone public") == [public]
    assert names("owner:me bob") == []


def test_patch_honours_the_update_mask(api: Api) -> None:
    name = api.tuned(create_body(4, displayName="before", description="old"))
    before = api.get(f"/v1beta/{name}").json()
    response = api.patch(
        f"/v1beta/{name}",
        params={"updateMask": "description,topK,readerProjectNumbers"},
        json={
            "displayName": "ignored",
            "description": "new",
            "topK": 10,
            "readerProjectNumbers": [123456789012, "42"],
            "temperature": 0.1,
        },
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["displayName"] == "before"
    assert patched["description"] == "new"
    assert patched["topK"] == 10
    assert patched["temperature"] == 1.0
    assert patched["readerProjectNumbers"] == ["123456789012", "42"]
    assert patched["updateTime"] > before["updateTime"]
    assert api.get(f"/v1beta/{name}").json() == patched


def test_patch_with_snake_case_mask_clears_absent_fields(api: Api) -> None:
    name = api.tuned(create_body(4, displayName="keep", description="drop me", temperature=0.3))
    patched = api.patch(
        f"/v1beta/{name}", params={"update_mask": "description,temperature"}, json={}
    ).json()
    assert "description" not in patched
    assert patched["temperature"] == 1.0  # back to the base model's default
    assert patched["displayName"] == "keep"


def test_patch_without_mask_updates_the_mutable_fields_present(api: Api) -> None:
    name = api.tuned(create_body(4, displayName="a"))
    full = api.get(f"/v1beta/{name}").json()
    full.update({"displayName": "b", "state": 3, "createTime": "2000-01-01T00:00:00Z"})
    patched = api.patch(f"/v1beta/{name}", json=full).json()
    assert patched["displayName"] == "b"
    assert patched["state"] == "ACTIVE"
    assert patched["createTime"] != "2000-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "mask",
    [
        "baseModel",
        "tuningTask.hyperparameters",
        "tuning_task.training_data",
        "state",
        "name",
        "createTime",
    ],
)
def test_patch_refuses_immutable_and_output_only_paths(api: Api, mask: str) -> None:
    name = api.tuned(create_body(2))
    response = api.patch(f"/v1beta/{name}", params={"updateMask": mask}, json={})
    assert_error(response, 400, "INVALID_ARGUMENT", "immutable")


def test_patch_refuses_unknown_paths_and_invalid_values(api: Api) -> None:
    name = api.tuned(create_body(2))
    assert_error(
        api.patch(f"/v1beta/{name}", params={"updateMask": "colour"}, json={}),
        400,
        "INVALID_ARGUMENT",
    )
    too_long = api.patch(
        f"/v1beta/{name}", params={"updateMask": "displayName"}, json={"displayName": "x" * 41}
    )
    assert_error(too_long, 400, "INVALID_ARGUMENT", "display_name")
    too_hot = api.patch(
        f"/v1beta/{name}", params={"updateMask": "temperature"}, json={"temperature": 2}
    )
    assert_error(too_hot, 400, "INVALID_ARGUMENT", "temperature")
    assert_error(api.patch("/v1beta/tunedModels/missing", json={}), 404, "NOT_FOUND")


def test_delete_then_get_is_not_found(api: Api) -> None:
    name = api.tuned(create_body(2))
    operation = api.get(f"/v1beta/{name}/operations").json()["operations"][0]["name"]
    response = api.delete(f"/v1beta/{name}")
    assert response.status_code == 200
    assert response.json() == {}
    assert_error(
        api.get(f"/v1beta/{name}"), 404, "NOT_FOUND", f"Tuned model {name} does not exist."
    )
    assert_error(api.get(f"/v1beta/{operation}"), 404, "NOT_FOUND")
    assert_error(api.delete(f"/v1beta/{name}"), 404, "NOT_FOUND")


def test_delete_while_creating_stops_everything(api: Api) -> None:
    name = api.create(create_body(20, epochs=100, batch=1))["metadata"]["tunedModel"]
    assert api.delete(f"/v1beta/{name}").status_code == 200
    assert api.get("/v1beta/tunedModels").json() == {}
