"""Operations: get and list on v1beta and v1, cancel on v1."""

from __future__ import annotations

from collections.abc import Callable

from tests.emulator.support import Api, assert_error, create_body

LONG = {"count": 20, "epochs": 100, "batch": 1}  # 2,000 steps: still running for seconds


def test_get_on_v1beta_and_v1_agree(api: Api) -> None:
    operation = api.create(create_body(4))
    done = api.wait_done(operation["name"])
    assert api.get(f"/v1/{operation['name']}").json() == done
    assert done["done"] is True
    assert set(done) == {"name", "metadata", "done", "response"}


def test_list_operations_of_a_model(api: Api) -> None:
    operation = api.create(create_body(4))
    model = operation["metadata"]["tunedModel"]
    api.wait_done(operation["name"])
    for version in ("v1beta", "v1"):
        listed = api.get(f"/{version}/{model}/operations").json()
        assert [op["name"] for op in listed["operations"]] == [operation["name"]]
    assert_error(api.get("/v1beta/tunedModels/missing/operations"), 404, "NOT_FOUND")


def test_list_all_visible_operations_on_v1(api: Api, user: Callable[[str], Api]) -> None:
    mine = [api.create(create_body(2))["name"] for _ in range(3)]
    user("other@example.com").create(create_body(2))
    first = api.get("/v1/operations", params={"pageSize": 2}).json()
    rest = api.get(
        "/v1/operations", params={"pageSize": 2, "pageToken": first["nextPageToken"]}
    ).json()
    assert [op["name"] for op in first["operations"] + rest["operations"]] == mine


def test_unknown_operation_is_not_found(api: Api) -> None:
    operation = api.create(create_body(2))
    model = operation["metadata"]["tunedModel"]
    assert_error(api.get(f"/v1beta/{model}/operations/abcdefghijkl"), 404, "NOT_FOUND")
    assert_error(api.get("/v1/tunedModels/none/operations/abcdefghijkl"), 404, "NOT_FOUND")


def test_cancel_on_v1_stops_tuning(api: Api) -> None:
    operation = api.create(create_body(**LONG))
    model = operation["metadata"]["tunedModel"]
    response = api.post(f"/v1/{operation['name']}:cancel", json={})
    assert response.status_code == 200
    assert response.json() == {}
    done = api.get(f"/v1beta/{operation['name']}").json()
    assert done["done"] is True
    assert done["error"]["code"] == 1
    assert "response" not in done
    assert done["metadata"].get("completedSteps", 0) < 2000
    state = api.get(f"/v1beta/{model}").json()
    assert state["state"] == "FAILED"
    assert "completeTime" not in state["tuningTask"]
    generated = api.post(
        f"/v1beta/{model}:generateContent", json={"contents": [{"parts": [{"text": "1"}]}]}
    )
    assert_error(generated, 400, "FAILED_PRECONDITION", "FAILED")
    # cancelling again, or a finished operation, changes nothing
    assert api.post(f"/v1/{operation['name']}:cancel").status_code == 200
    assert api.get(f"/v1beta/{operation['name']}").json() == done
    assert api.delete(f"/v1beta/{model}").status_code == 200


def test_cancel_of_a_finished_operation_is_a_no_op(api: Api) -> None:
    operation = api.create(create_body(2))
    done = api.wait_done(operation["name"])
    assert api.post(f"/v1/{operation['name']}:cancel", json={}).status_code == 200
    assert api.get(f"/v1beta/{operation['name']}").json() == done


def test_cancel_is_not_bound_on_v1beta(api: Api) -> None:
    operation = api.create(create_body(**LONG))
    assert_error(api.post(f"/v1beta/{operation['name']}:cancel", json={}), 404, "NOT_FOUND")
    assert "done" not in api.get(f"/v1beta/{operation['name']}").json()


def test_cancel_needs_writer(api: Api, user: Callable[[str], Api]) -> None:
    operation = api.create(create_body(**LONG))
    model = operation["metadata"]["tunedModel"]
    reader = user("reader@example.com")
    api.post(
        f"/v1beta/{model}/permissions",
        json={"emailAddress": "reader@example.com", "role": "READER"},
    )
    assert reader.get(f"/v1/{operation['name']}").status_code == 200
    assert_error(reader.post(f"/v1/{operation['name']}:cancel"), 403, "PERMISSION_DENIED")
