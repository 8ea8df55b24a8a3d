"""The hook turns an ambiguous retry into the right answer instead of a duplicate or an error."""

from __future__ import annotations

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.core.errors import (
    AlreadyExistsError,
    InvalidRequestError,
    NotFoundError,
)
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

NEW_MODEL = {
    "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}},
}
OPERATION = {"name": "tunedModels/m1/operations/op1"}


def error(code: int, status: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": status, "status": status}})


def test_create_whose_first_attempt_succeeded_returns_that_operation(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    create = api.post("tunedModels").mock(
        side_effect=[error(503, "UNAVAILABLE"), error(409, "ALREADY_EXISTS")]
    )
    api.get("tunedModels/m1/operations").mock(
        return_value=httpx.Response(200, json={"operations": [OPERATION]})
    )
    operation = hook.create_tuned_model(NEW_MODEL, tuned_model_id="m1")
    assert operation.name == OPERATION["name"]
    assert create.call_count == 2


async def test_async_create_recovers_the_same_way(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.post("tunedModels").mock(
        side_effect=[error(502, "BAD_GATEWAY"), error(409, "ALREADY_EXISTS")]
    )
    api.get("tunedModels/m1/operations").mock(
        return_value=httpx.Response(200, json={"operations": [OPERATION]})
    )
    operation = await hook.acreate_tuned_model(NEW_MODEL, tuned_model_id="m1")
    assert operation.name == OPERATION["name"]
    await hook.aclose()


def test_create_of_an_id_that_already_existed_is_an_error(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.post("tunedModels").mock(return_value=error(409, "ALREADY_EXISTS"))
    with pytest.raises(AlreadyExistsError, match="if_exists"):
        hook.create_tuned_model(NEW_MODEL, tuned_model_id="m1")


def test_create_without_id_is_not_repeated(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.post("tunedModels").mock(return_value=error(500, "INTERNAL"))
    with pytest.raises(Exception, match="INTERNAL"):
        hook.create_tuned_model(NEW_MODEL)
    assert route.call_count == 1


def test_invalid_create_is_refused_before_any_request(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.post("tunedModels")
    with pytest.raises(InvalidRequestError, match=r"examples\[0\].output"):
        hook.create_tuned_model(
            {
                **NEW_MODEL,
                "tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a"}]}}},
            },
            tuned_model_id="m1",
        )
    assert route.call_count == 0


def test_delete_whose_first_attempt_succeeded_counts_as_deleted(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.delete("tunedModels/m1").mock(
        side_effect=[error(503, "UNAVAILABLE"), error(404, "NOT_FOUND")]
    )
    assert hook.delete_tuned_model("m1") is True


def test_delete_of_a_missing_model(hook: GeminiTunedModelsHook, api: respx.MockRouter) -> None:
    api.delete("tunedModels/m1").mock(return_value=error(404, "NOT_FOUND"))
    assert hook.delete_tuned_model("m1", ignore_missing=True) is False
    with pytest.raises(NotFoundError):
        hook.delete_tuned_model("m1")


def test_bad_names_and_updates_fail_locally(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    with pytest.raises(
        InvalidRequestError, match="expected 'tunedModels/<id>/operations/<operation id>'"
    ):
        hook.get_operation("operations/x")
    with pytest.raises(InvalidRequestError, match="base_model: is immutable"):
        hook.update_tuned_model("m1", {"base_model": "models/x"})
    with pytest.raises(InvalidRequestError, match="must be READER or WRITER"):
        hook.update_permission("tunedModels/m1/permissions/p", "OWNER")
    with pytest.raises(InvalidRequestError, match="page_size"):
        hook.list_tuned_models(page_size=-1)
    assert len(api.calls) == 0


def test_explicit_update_mask_limits_what_is_applied(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.patch("tunedModels/m1").mock(
        return_value=httpx.Response(200, json={"name": "tunedModels/m1"})
    )
    hook.update_tuned_model(
        "m1", {"description": "d", "temperature": 0.2}, update_mask="description"
    )
    assert route.calls.last.request.url.params["updateMask"] == "description"
