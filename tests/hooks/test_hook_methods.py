"""Every hook method, sync and async, against a mocked HTTP API: URL, query, body and result."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.models.gemini import CREATE_TUNED_MODEL_METADATA_TYPE
from tests.hooks.conftest import API_KEY, BASE_URL

MODEL = {"name": "tunedModels/m1", "state": "ACTIVE", "displayName": "m"}
OPERATION = {
    "name": "tunedModels/m1/operations/abcdefghijkl",
    "metadata": {
        "@type": CREATE_TUNED_MODEL_METADATA_TYPE,
        "totalSteps": 4,
        "tunedModel": "tunedModels/m1",
    },
}
PERMISSION = {
    "name": "tunedModels/m1/permissions/p1",
    "granteeType": "USER",
    "emailAddress": "a@b.c",
    "role": "READER",
}
ANSWER = {
    "candidates": [
        {"content": {"parts": [{"text": "hi"}], "role": "model"}, "finishReason": "STOP"}
    ]
}
NEW_MODEL = {
    "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}}},
}


@dataclass
class Case:
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    verb: str
    path: str
    answer: Any
    check: Callable[[Any], bool]
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    version: str = "v1beta"


CASES = [
    Case(
        "create_tuned_model",
        (NEW_MODEL,),
        {"tuned_model_id": "m1"},
        "POST",
        "tunedModels",
        OPERATION,
        lambda r: r.tuned_model_name == "tunedModels/m1",
        {"tunedModelId": "m1"},
        NEW_MODEL,
    ),
    Case("get_tuned_model", ("m1",), {}, "GET", "tunedModels/m1", MODEL, lambda r: r.is_active),
    Case(
        "list_tuned_models",
        (),
        {"page_size": 5, "filter": "owner:me"},
        "GET",
        "tunedModels",
        {"tunedModels": [MODEL], "nextPageToken": "t2"},
        lambda r: r.next_page_token == "t2" and r.page_items()[0].name == "tunedModels/m1",
        {"pageSize": "5", "filter": "owner:me"},
    ),
    Case(
        "update_tuned_model",
        ("tunedModels/m1", {"description": "d", "top_k": 3}),
        {},
        "PATCH",
        "tunedModels/m1",
        {**MODEL, "description": "d"},
        lambda r: r.description == "d",
        {"updateMask": "description,topK"},
        {"description": "d", "topK": 3},
    ),
    Case("delete_tuned_model", ("m1",), {}, "DELETE", "tunedModels/m1", {}, lambda r: r is True),
    Case(
        "generate_content",
        ("tunedModels/m1", "hello"),
        {"generation_config": {"temperature": 0.1}},
        "POST",
        "tunedModels/m1:generateContent",
        ANSWER,
        lambda r: r.text == "hi",
        {},
        {
            "contents": [{"parts": [{"text": "hello"}], "role": "user"}],
            "generationConfig": {"temperature": 0.1},
        },
    ),
    Case(
        "transfer_ownership",
        ("m1", "new@b.c"),
        {},
        "POST",
        "tunedModels/m1:transferOwnership",
        {},
        lambda r: r is None,
        {},
        {"emailAddress": "new@b.c"},
    ),
    Case(
        "create_permission",
        ("m1", {"granteeType": "USER", "emailAddress": "a@b.c", "role": "READER"}),
        {},
        "POST",
        "tunedModels/m1/permissions",
        PERMISSION,
        lambda r: r.name == PERMISSION["name"],
        {},
        {"granteeType": "USER", "emailAddress": "a@b.c", "role": "READER"},
    ),
    Case(
        "get_permission",
        ("tunedModels/m1/permissions/p1",),
        {},
        "GET",
        "tunedModels/m1/permissions/p1",
        PERMISSION,
        lambda r: r.role == "READER",
    ),
    Case(
        "list_permissions",
        ("m1",),
        {"page_size": 2},
        "GET",
        "tunedModels/m1/permissions",
        {"permissions": [PERMISSION]},
        lambda r: len(r.page_items()) == 1,
        {"pageSize": "2"},
    ),
    Case(
        "update_permission",
        ("tunedModels/m1/permissions/p1", "writer"),
        {},
        "PATCH",
        "tunedModels/m1/permissions/p1",
        {**PERMISSION, "role": "WRITER"},
        lambda r: r.role == "WRITER",
        {"updateMask": "role"},
        {"role": "WRITER"},
    ),
    Case(
        "delete_permission",
        ("tunedModels/m1/permissions/p1",),
        {},
        "DELETE",
        "tunedModels/m1/permissions/p1",
        {},
        lambda r: r is None,
    ),
    Case(
        "get_operation",
        (OPERATION["name"],),
        {},
        "GET",
        OPERATION["name"],
        OPERATION,
        lambda r: r.create_metadata.total_steps == 4,
    ),
    Case(
        "list_operations",
        ("m1",),
        {},
        "GET",
        "tunedModels/m1/operations",
        {"operations": [OPERATION]},
        lambda r: r.page_items()[0].name == OPERATION["name"],
    ),
    Case(
        "cancel_operation",
        (OPERATION["name"],),
        {},
        "POST",
        f"{OPERATION['name']}:cancel",
        {},
        lambda r: r is None,
        {},
        {},
        "v1",
    ),
    Case(
        "get_model",
        ("gemini-1.5-flash-001-tuning",),
        {},
        "GET",
        "models/gemini-1.5-flash-001-tuning",
        {
            "name": "models/gemini-1.5-flash-001-tuning",
            "supportedGenerationMethods": ["createTunedModel"],
        },
        lambda r: r.supports_tuning,
    ),
]


def _mock(case: Case) -> respx.Route:
    url = f"{BASE_URL}/{case.version}/{case.path}"
    return respx.route(method=case.verb, url=url).mock(
        return_value=httpx.Response(200, json=case.answer)
    )


def _check_request(route: respx.Route, case: Case) -> None:
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["x-goog-api-key"] == API_KEY
    assert "key=" not in str(request.url)
    assert dict(request.url.params) == case.query
    if case.body is not None:
        assert json.loads(request.content) == case.body


@pytest.mark.parametrize("case", CASES, ids=[c.method for c in CASES])
@respx.mock
def test_sync_method(case: Case, hook: GeminiTunedModelsHook) -> None:
    route = _mock(case)
    result = getattr(hook, case.method)(*case.args, **case.kwargs)
    assert case.check(result)
    _check_request(route, case)


@pytest.mark.parametrize("case", CASES, ids=[c.method for c in CASES])
@respx.mock
async def test_async_method(case: Case, hook: GeminiTunedModelsHook) -> None:
    route = _mock(case)
    result = await getattr(hook, "a" + case.method)(*case.args, **case.kwargs)
    assert case.check(result)
    _check_request(route, case)
    await hook.aclose()


SSE_BODY = (
    'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}\r\n\r\n'
    'data: {"candidates": [{"content": {"parts": [{"text": "lo"}]}, "finishReason": "STOP"}]}\r\n\r\n'
)


def test_stream_generate_content_yields_each_event(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.post("tunedModels/m1:streamGenerateContent").mock(
        return_value=httpx.Response(
            200, text=SSE_BODY, headers={"content-type": "text/event-stream"}
        )
    )
    chunks = list(hook.stream_generate_content("tunedModels/m1", "hi"))
    assert [c.text for c in chunks] == ["Hel", "lo"]
    assert route.calls.last.request.url.params["alt"] == "sse"


async def test_astream_generate_content_yields_each_event(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.post("models/gemini-base:streamGenerateContent").mock(
        return_value=httpx.Response(
            200, text=SSE_BODY, headers={"content-type": "text/event-stream"}
        )
    )
    chunks = [c.text async for c in hook.astream_generate_content("gemini-base", "hi")]
    assert chunks == ["Hel", "lo"]
    await hook.aclose()


def _paged(request: httpx.Request) -> httpx.Response:
    token = request.url.params.get("pageToken")
    pages = {None: (["a", "b"], "p2"), "p2": (["c", "d"], "p3"), "p3": (["e"], None)}
    names, following = pages[token]
    body: dict[str, Any] = {"tunedModels": [{"name": f"tunedModels/{n}"} for n in names]}
    if following:
        body["nextPageToken"] = following
    return httpx.Response(200, json=body)


def test_iter_tuned_models_follows_every_page(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    route = api.get("tunedModels").mock(side_effect=_paged)
    names = [m.name for m in hook.iter_tuned_models(page_size=2, filter="x")]
    assert names == [f"tunedModels/{n}" for n in "abcde"]
    assert route.call_count == 3
    assert all(c.request.url.params["filter"] == "x" for c in route.calls)


async def test_aiter_tuned_models_follows_every_page(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.get("tunedModels").mock(side_effect=_paged)
    names = [m.name async for m in hook.aiter_tuned_models(page_size=2)]
    assert names == [f"tunedModels/{n}" for n in "abcde"]
    await hook.aclose()


def test_iter_permissions_and_operations(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    api.get("tunedModels/m1/permissions").mock(
        side_effect=[
            httpx.Response(200, json={"permissions": [PERMISSION], "nextPageToken": "n"}),
            httpx.Response(200, json={"permissions": [PERMISSION]}),
        ]
    )
    api.get("tunedModels/m1/operations").mock(
        return_value=httpx.Response(200, json={"operations": [OPERATION]})
    )
    assert len(list(hook.iter_permissions("m1"))) == 2
    assert [o.name for o in hook.iter_operations("m1")] == [OPERATION["name"]]


def test_wait_for_operation_polls_until_done(
    hook: GeminiTunedModelsHook, api: respx.MockRouter
) -> None:
    done = {
        **OPERATION,
        "done": True,
        "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel",
            **MODEL,
        },
    }
    route = api.get(OPERATION["name"]).mock(
        side_effect=[httpx.Response(200, json=OPERATION), httpx.Response(200, json=done)]
    )
    result = hook.wait_for_operation(OPERATION["name"], poll_interval=0.0, timeout=5)
    assert result.tuned_model is not None
    assert result.tuned_model.is_active
    assert route.call_count == 2
