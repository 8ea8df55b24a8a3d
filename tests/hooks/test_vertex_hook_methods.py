"""Every Vertex AI hook method, sync and async, against a mocked HTTP API.

Each case checks the request's host (per location), path, query, headers and
camelCase body, and what the method made of the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx

from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook
from airflow_provider_tunedmodels.hooks.vertex_connection import vertex_host
from airflow_provider_tunedmodels.models.vertex import rebase_metadata_type
from tests.hooks.vertex_support import (
    ACCESS_TOKEN,
    HOST,
    PARENT,
    mock_token_endpoint,
    vertex_test_settings,
)

JOB_NAME = f"{PARENT}/tuningJobs/6284765961371254784"
ENDPOINT = "projects/tuning-proj/locations/europe-west4/endpoints/456"
MODEL_NAME = f"{PARENT}/models/9@1"
NEW_JOB = {
    "base_model": "gemini-2.5-flash",
    "supervised_tuning_spec": {
        "training_dataset_uri": "gs://my-bucket/train.jsonl",
        "hyper_parameters": {"epoch_count": 3, "adapter_size": "ADAPTER_SIZE_FOUR"},
    },
    "tuned_model_display_name": "router",
    "state": "JOB_STATE_SUCCEEDED",
}
NEW_JOB_WIRE = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://my-bucket/train.jsonl",
        "hyperParameters": {"epochCount": "3", "adapterSize": "ADAPTER_SIZE_FOUR"},
    },
    "tunedModelDisplayName": "router",
}
JOB = {"name": JOB_NAME, "state": "JOB_STATE_PENDING", "createTime": "2025-01-01T00:00:00Z"}
OPERATION = {
    "name": f"{JOB_NAME}/operations/123",
    "metadata": {"@type": rebase_metadata_type("v1"), "genericMetadata": {}},
}
ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "billing"}]}}]}


@dataclass
class Case:
    method: str
    args: tuple[Any, ...]
    verb: str
    path: str
    answer: Any
    check: Callable[[Any], bool]
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    host: str = HOST


CASES = [
    Case(
        "create_tuning_job",
        (NEW_JOB,),
        "POST",
        f"{PARENT}/tuningJobs",
        JOB,
        lambda r: r.name == JOB_NAME and r.state_name == "JOB_STATE_PENDING",
        body=NEW_JOB_WIRE,
    ),
    Case(
        "create_tuning_job",
        (NEW_JOB,),
        "POST",
        "projects/tuning-proj/locations/europe-west4/tuningJobs",
        JOB,
        lambda r: r.name == JOB_NAME,
        kwargs={"location": "europe-west4"},
        body=NEW_JOB_WIRE,
        host=vertex_host("europe-west4"),
    ),
    Case("get_tuning_job", (JOB_NAME,), "GET", JOB_NAME, JOB, lambda r: r.job_id is not None),
    Case("get_tuning_job", ("6284765961371254784",), "GET", JOB_NAME, JOB, lambda r: r.name),
    Case(
        "list_tuning_jobs",
        (),
        "GET",
        f"{PARENT}/tuningJobs",
        {"tuningJobs": [JOB], "nextPageToken": "t2"},
        lambda r: r.next_page_token == "t2" and r.page_items()[0].name == JOB_NAME,
        kwargs={"filter": 'state="JOB_STATE_RUNNING"', "page_size": 5, "page_token": "t1"},
        query={"filter": 'state="JOB_STATE_RUNNING"', "pageSize": "5", "pageToken": "t1"},
    ),
    Case(
        "list_tuning_jobs",
        (),
        "GET",
        "projects/tuning-proj/locations/global/tuningJobs",
        {},
        lambda r: r.page_items() == [],
        kwargs={"location": "global"},
        host="https://aiplatform.googleapis.com",
    ),
    Case(
        "cancel_tuning_job",
        (JOB_NAME,),
        "POST",
        f"{JOB_NAME}:cancel",
        {},
        lambda r: r is None,
        body={},
    ),
    Case(
        "rebase_tuned_model",
        (JOB_NAME,),
        "POST",
        f"{PARENT}/tuningJobs:rebaseTunedModel",
        OPERATION,
        lambda r: r.rebase_metadata is not None,
        body={"tunedModelRef": {"tuningJob": JOB_NAME}},
    ),
    Case(
        "get_operation",
        (OPERATION["name"],),
        "GET",
        OPERATION["name"],
        OPERATION,
        lambda r: not r.done,
    ),
    Case(
        "list_operations",
        (JOB_NAME,),
        "GET",
        f"{JOB_NAME}/operations",
        {"operations": [OPERATION]},
        lambda r: r.page_items()[0].name == OPERATION["name"],
        kwargs={"page_size": 1},
        query={"pageSize": "1"},
    ),
    Case(
        "cancel_operation",
        (OPERATION["name"],),
        "POST",
        f"{OPERATION['name']}:cancel",
        {},
        lambda r: r is None,
        body=b"",
    ),
    Case(
        "get_model",
        (MODEL_NAME,),
        "GET",
        MODEL_NAME,
        {"name": MODEL_NAME, "versionId": "1"},
        lambda r: r.version_id == "1",
    ),
    Case(
        "update_model",
        (MODEL_NAME, {"display_name": "router v2", "default_checkpoint_id": "3"}),
        "PATCH",
        MODEL_NAME,
        {"name": MODEL_NAME, "displayName": "router v2"},
        lambda r: r.display_name == "router v2",
        query={"updateMask": "displayName,defaultCheckpointId"},
        body={"displayName": "router v2", "defaultCheckpointId": "3"},
    ),
    Case(
        "generate_content",
        (ENDPOINT, "Route: refund please"),
        "POST",
        f"{ENDPOINT}:generateContent",
        ANSWER,
        lambda r: r.text == "billing",
        kwargs={"generation_config": {"temperature": 0.0}},
        body={
            "contents": [{"role": "user", "parts": [{"text": "Route: refund please"}]}],
            "generationConfig": {"temperature": 0.0},
        },
        host=vertex_host("europe-west4"),
    ),
    Case(
        "generate_content",
        ("projects/tuning-proj/locations/us/publishers/google/models/gemini-2.5-flash", "hi"),
        "POST",
        "projects/tuning-proj/locations/us/publishers/google/models/gemini-2.5-flash:generateContent",
        ANSWER,
        lambda r: r.text == "billing",
        host="https://aiplatform.us.rep.googleapis.com",
    ),
]
IDS = [f"{c.method}-{i}" for i, c in enumerate(CASES)]


@pytest.fixture
def hook() -> Iterator[VertexTuningJobsHook]:
    hook = VertexTuningJobsHook(settings=vertex_test_settings(quota_project_id="billing-proj"))
    yield hook
    hook.close()


def _mock(case: Case) -> respx.Route:
    mock_token_endpoint()
    url = f"{case.host}/v1/{case.path}"
    return respx.route(method=case.verb, url=url).mock(
        return_value=httpx.Response(200, json=case.answer)
    )


def _check_request(route: respx.Route, case: Case) -> None:
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["x-goog-user-project"] == "billing-proj"
    assert dict(request.url.params) == case.query
    if isinstance(case.body, bytes):
        assert request.content == case.body
    elif case.body is not None:
        assert json.loads(request.content) == case.body


@pytest.mark.parametrize("case", CASES, ids=IDS)
@respx.mock
def test_sync_method(case: Case, hook: VertexTuningJobsHook) -> None:
    route = _mock(case)
    result = getattr(hook, case.method)(*case.args, **case.kwargs)
    assert case.check(result)
    _check_request(route, case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@respx.mock
async def test_async_method(case: Case, hook: VertexTuningJobsHook) -> None:
    route = _mock(case)
    result = await getattr(hook, "a" + case.method)(*case.args, **case.kwargs)
    assert case.check(result)
    _check_request(route, case)
    await hook.aclose()


SSE_BODY = (
    'data: {"candidates": [{"content": {"parts": [{"text": "bil"}]}}]}\r\n\r\n'
    'data: {"candidates": [{"content": {"parts": [{"text": "ling"}]}, "finishReason": "STOP"}]}\r\n\r\n'
)


@respx.mock
def test_stream_generate_content_goes_to_the_endpoints_host(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    route = respx.post(f"{vertex_host('europe-west4')}/v1/{ENDPOINT}:streamGenerateContent").mock(
        return_value=httpx.Response(
            200, text=SSE_BODY, headers={"content-type": "text/event-stream"}
        )
    )
    assert [c.text for c in hook.stream_generate_content(ENDPOINT, "hi")] == ["bil", "ling"]
    assert route.calls.last.request.url.params["alt"] == "sse"


@respx.mock
async def test_astream_generate_content(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.post(f"{vertex_host('europe-west4')}/v1/{ENDPOINT}:streamGenerateContent").mock(
        return_value=httpx.Response(
            200, text=SSE_BODY, headers={"content-type": "text/event-stream"}
        )
    )
    assert [c.text async for c in hook.astream_generate_content(ENDPOINT, "hi")] == ["bil", "ling"]
    await hook.aclose()


def _paged(request: httpx.Request) -> httpx.Response:
    pages = {None: (["1", "2"], "p2"), "p2": (["3"], None)}
    ids, following = pages[request.url.params.get("pageToken")]
    body: dict[str, Any] = {"tuningJobs": [{"name": f"{PARENT}/tuningJobs/{i}"} for i in ids]}
    if following:
        body["nextPageToken"] = following
    return httpx.Response(200, json=body)


@respx.mock
def test_iter_tuning_jobs_follows_every_page(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    route = respx.get(f"{HOST}/v1/{PARENT}/tuningJobs").mock(side_effect=_paged)
    assert [j.job_id for j in hook.iter_tuning_jobs(page_size=2)] == ["1", "2", "3"]
    assert route.call_count == 2


@respx.mock
async def test_aiter_tuning_jobs_and_operations(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    respx.get(f"{HOST}/v1/{PARENT}/tuningJobs").mock(side_effect=_paged)
    respx.get(f"{HOST}/v1/{JOB_NAME}/operations").mock(
        return_value=httpx.Response(200, json={"operations": [OPERATION]})
    )
    assert [j.job_id async for j in hook.aiter_tuning_jobs()] == ["1", "2", "3"]
    assert [o.name async for o in hook.aiter_operations(JOB_NAME)] == [OPERATION["name"]]
    await hook.aclose()


@respx.mock
def test_wait_for_operation_returns_the_rebased_job(hook: VertexTuningJobsHook) -> None:
    mock_token_endpoint()
    done = {
        **OPERATION,
        "done": True,
        "response": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob", **JOB},
    }
    route = respx.get(f"{HOST}/v1/{OPERATION['name']}").mock(
        side_effect=[httpx.Response(200, json=OPERATION), httpx.Response(200, json=done)]
    )
    result = hook.wait_for_operation(OPERATION["name"], poll_interval=0.0, timeout=5)
    assert result.tuning_job is not None
    assert result.tuning_job.name == JOB_NAME
    assert route.call_count == 2


@respx.mock
def test_a_base_url_override_keeps_every_call_on_it() -> None:
    emulator = "http://127.0.0.1:8089"
    hook = VertexTuningJobsHook(settings=vertex_test_settings(base_url=emulator))
    mock_token_endpoint()
    route = respx.post(f"{emulator}/v1/{ENDPOINT}:generateContent").mock(
        return_value=httpx.Response(200, json=ANSWER)
    )
    assert hook.generate_content(ENDPOINT, "hi").text == "billing"
    assert route.call_count == 1
    hook.close()


@respx.mock
def test_v1beta1_is_selectable(hook: VertexTuningJobsHook) -> None:
    beta = VertexTuningJobsHook(settings=vertex_test_settings(api_version="v1beta1"))
    mock_token_endpoint()
    route = respx.get(f"{HOST}/v1beta1/{JOB_NAME}").mock(return_value=httpx.Response(200, json=JOB))
    assert beta.get_tuning_job(JOB_NAME).name == JOB_NAME
    assert route.call_count == 1
    beta.close()


def test_bad_requests_fail_before_anything_is_sent(hook: VertexTuningJobsHook) -> None:
    from airflow_provider_tunedmodels.core.errors import InvalidRequestError

    with respx.mock(assert_all_mocked=True) as router:
        with pytest.raises(InvalidRequestError, match="trainingDatasetUri: required"):
            hook.create_tuning_job({"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": {}})
        with pytest.raises(InvalidRequestError, match=r"tunedModel\.endpoint"):
            hook.generate_content(f"{PARENT}/models/9", "hi")
        with pytest.raises(InvalidRequestError, match=r"tuningJobs/\{tuning_job\}"):
            hook.get_tuning_job("projects/x/tuningJobs/1")
        with pytest.raises(InvalidRequestError, match="nothing to update"):
            hook.update_model(MODEL_NAME, {})
        assert router.calls.call_count == 0
