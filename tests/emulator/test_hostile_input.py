"""The emulator under hostile input: deep nesting, broken JSON, failing handlers.

Whatever a client sends, the answer is a JSON error envelope with a 4xx status
(401 for credentials), never a 500 and never the server's plain-text page.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from airflow_provider_tunedmodels.emulator.app import EmulatorApp
from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.gemini.render import MAX_SNAPSHOTS
from airflow_provider_tunedmodels.emulator.responses import Reply
from airflow_provider_tunedmodels.emulator.router import MAX_BODY_BYTES, Call, Router
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator
from airflow_provider_tunedmodels.emulator.wire import MAX_JSON_DEPTH
from tests.emulator.support import Api, assert_error, create_body, oversized_body

#: The depth reported in the field, and one far beyond any recursion limit.
DEPTHS = [2_000, 200_000]


def _nested_array(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _nested_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def http(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, trust_env=False, timeout=60) as client:
        yield client


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("shape", [_nested_array, _nested_object])
def test_deeply_nested_bodies_are_invalid_argument_on_every_route(
    api: Api, depth: int, shape: object
) -> None:
    nested = shape(depth)  # type: ignore[operator]
    model = api.tuned(create_body(4))
    for method, path, body in [
        ("POST", "/v1beta/tunedModels", b'{"displayName":' + nested + b"}"),
        ("POST", "/v1beta/tunedModels", nested),
        ("PATCH", f"/v1beta/{model}", b'{"description":' + nested + b"}"),
        ("POST", f"/v1beta/{model}:generateContent", b'{"contents":' + nested + b"}"),
        ("POST", f"/v1beta/{model}/permissions", nested),
        ("POST", f"/v1beta/{model}:transferOwnership", nested),
    ]:
        response = api.http.request(method, path, content=body)
        assert_error(response, 400, "INVALID_ARGUMENT", f"deeper than {MAX_JSON_DEPTH} levels")


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_control_requests_are_refused_as_json(http: httpx.Client, depth: int) -> None:
    response = http.put("/_emulator/faults", content=_nested_array(depth))
    assert_error(response, 400, "INVALID_ARGUMENT", "deeper than")


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_bearer_token_is_unauthenticated(http: httpx.Client, depth: int) -> None:
    segment = _b64(_nested_array(depth))
    for token in (f"{segment}.{segment}.c2ln", f"{_b64(b'{}')}.{segment}.c2ln"):
        response = http.get("/v1beta/tunedModels", headers={"authorization": f"Bearer {token}"})
        error = assert_error(response, 401, "UNAUTHENTICATED")
        assert error["details"][0]["reason"] == "ACCESS_TOKEN_TYPE_UNSUPPORTED"


def test_deeply_nested_access_token_parameter_is_unauthenticated(http: httpx.Client) -> None:
    segment = _b64(_nested_array(2_000))
    response = http.get("/v1beta/tunedModels", params={"access_token": f"{segment}.{segment}.c2ln"})
    assert_error(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("depth", DEPTHS)
def test_deeply_nested_token_assertion_is_an_oauth_error(http: httpx.Client, depth: int) -> None:
    segment = _b64(_nested_object(depth))
    response = http.post(
        "/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": f"{segment}.{segment}.c2ln",
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"
    assert response.json() in (
        {"error": "invalid_grant", "error_description": "Invalid JWT: malformed assertion."},
        {"error": "invalid_grant", "error_description": "Invalid JWT: the token is too long."},
    )


def test_deeply_nested_page_token_is_invalid_argument(api: Api) -> None:
    token = _b64(_nested_array(5_000))
    response = api.get("/v1beta/tunedModels", params={"pageToken": token})
    assert_error(response, 400, "INVALID_ARGUMENT", "Invalid page token.")


def test_bodies_that_are_not_json_text_are_invalid_argument(api: Api) -> None:
    for body, message in [
        (b'{"displayName": NaN}', "NaN is not a JSON value"),
        (b'{"displayName": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"displayName": "\\ud800"}', "lone surrogate"),
        (b'{"topK": 1' + b"0" * 5000 + b"}", "Invalid number"),
        (b'{"displayName": "x"' + b" " * 10 + b"\xc3", "Invalid UTF-8"),
    ]:
        response = api.post("/v1beta/tunedModels", content=body)
        assert_error(response, 400, "INVALID_ARGUMENT", message)


def test_malformed_fault_rules_are_refused_as_json(http: httpx.Client) -> None:
    for body in ({"rules": {"kind": "500"}}, {"rules": ["500"]}):
        response = http.put("/_emulator/faults", json=body)
        assert_error(response, 400, "INVALID_ARGUMENT", '"rules" must be a list')
    for rule in (
        b'{"kind": "latency", "seconds": 1e400}',
        b'{"kind": "latency", "seconds": "NaN"}',
        b'{"kind": "503", "retryAfter": "Infinity"}',
    ):
        response = http.put("/_emulator/faults", content=b'{"rules": [' + rule + b"]}")
        assert_error(response, 400, "INVALID_ARGUMENT", "must be finite")


# -- the last resort ------------------------------------------------------------


def _failing_api(router: Router, context: ServerContext) -> None:
    async def fail(call: Call) -> Reply:
        raise RecursionError("maximum recursion depth exceeded")

    router.add("GET", "/v1/broken/{name}", "broken.get", fail)


async def test_an_unexpected_error_anywhere_is_answered_with_the_json_envelope(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = EmulatorApp(EmulatorConfig(api_keys={"k": "user@example.com"}), apis=[_failing_api])

    async def broken_admin(request: object) -> Reply:
        raise MemoryError("out of memory")

    app.admin.handle = broken_admin  # type: ignore[method-assign]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        for path in ("/v1/broken/x?key=k", "/_emulator/health"):
            response = await client.get(path)
            assert_error(response, 500, "INTERNAL", "Internal error encountered.")
    assert "unexpected error while serving GET /v1/broken/x" in caplog.text


# -- floats ---------------------------------------------------------------------

HYPERPARAMETERS = "tuned_model.tuning_task.hyperparameters"


@pytest.mark.parametrize(
    ("literal", "shown"),
    [
        (b'"NaN"', '"NaN"'),
        (b'"Infinity"', '"Infinity"'),
        (b'"-Infinity"', '"-Infinity"'),
        (b"1e400", "Infinity"),
        (b"-1e400", "-Infinity"),
        (b"1e39", "1e+39"),
        (b'"3.5e38"', '"3.5e38"'),
        (b"1" + b"0" * 400, "1" + "0" * 400),
    ],
)
def test_non_finite_or_out_of_range_floats_are_refused_naming_the_field(
    api: Api, literal: bytes, shown: str
) -> None:
    for key, path in [
        ("learningRate", f"{HYPERPARAMETERS}.learning_rate"),
        ("learningRateMultiplier", f"{HYPERPARAMETERS}.learning_rate_multiplier"),
    ]:
        body = json.dumps(create_body(4, **{"temperature": 0.5})).encode()
        body = body.replace(
            b'"epochCount"', b'"' + key.encode() + b'": ' + literal + b', "epochCount"'
        )
        response = api.post("/v1beta/tunedModels", content=body)
        assert_error(
            response,
            400,
            "INVALID_ARGUMENT",
            f"Invalid value at '{path}' (TYPE_FLOAT), {shown}: {path} must be a finite number",
        )
    body = json.dumps(create_body(4)).encode()[:-1] + b', "temperature": ' + literal + b"}"
    response = api.post("/v1beta/tunedModels", content=body)
    assert_error(response, 400, "INVALID_ARGUMENT", "'tuned_model.temperature' (TYPE_FLOAT)")
    assert api.get("/v1beta/tunedModels").json() == {}


def test_non_finite_generation_settings_are_refused(api: Api) -> None:
    model = api.tuned(create_body(4))
    request = b'{"contents": [{"parts": [{"text": "1"}]}], "generationConfig": {"topP": "NaN"}}'
    response = api.post(f"/v1beta/{model}:generateContent", content=request)
    assert_error(response, 400, "INVALID_ARGUMENT", "'generation_config.top_p' (TYPE_FLOAT)")


def test_the_largest_float32_is_still_a_float(api: Api) -> None:
    body = create_body(4, learning_rate=3.4028234e38)
    operation = api.create(body)
    done = api.wait_done(operation["name"])
    hyperparameters = done["response"]["tuningTask"]["hyperparameters"]
    assert hyperparameters["learningRate"] == pytest.approx(3.4028234e38)
    losses = [s["meanLoss"] for s in done["metadata"]["snapshots"]]
    assert all(math.isfinite(loss) and loss > 0 for loss in losses)


# -- huge tuning jobs -------------------------------------------------------------

HUGE_JOBS = [
    pytest.param(create_body(20, epochs=2_000_000, batch=1), id="2M-epochs-batch-1"),
    pytest.param(create_body(1, epochs=2**31 - 1, batch=1), id="int32-max-epochs"),
]


@pytest.mark.parametrize("body", HUGE_JOBS)
def test_a_huge_job_never_blocks_other_requests(
    emulator: RunningEmulator, api: Api, body: dict[str, object]
) -> None:
    latencies: list[float] = []
    stop = threading.Event()

    def poll_other_routes() -> None:
        with httpx.Client(base_url=emulator.base_url, trust_env=False, timeout=30) as client:
            while not stop.is_set():
                started = time.monotonic()
                response = client.get(
                    "/v1beta/models/gemini-1.5-flash-001-tuning", params={"key": emulator.api_key}
                )
                latencies.append(time.monotonic() - started)
                assert response.status_code == 200

    poller = threading.Thread(target=poll_other_routes)
    poller.start()
    try:
        started = time.monotonic()
        operation = api.create(body)
        assert time.monotonic() - started < 2.0
        model = operation["metadata"]["tunedModel"]
        for _ in range(20):
            response = api.get(f"/v1beta/{model}")
            assert response.status_code == 200
            time.sleep(0.02)
        listed = api.get("/v1beta/tunedModels").json()["tunedModels"]
        assert [item["name"] for item in listed] == [model]
    finally:
        stop.set()
        poller.join()
    assert len(latencies) > 5
    assert max(latencies) < 1.0, sorted(latencies)[-5:]


async def test_a_finished_huge_job_shows_a_bounded_number_of_snapshots() -> None:
    now = [1_000.0]
    app = EmulatorApp(EmulatorConfig(step_seconds=1.0), clock=lambda: now[0])
    transport = httpx.ASGITransport(app=app)
    headers = {"x-goog-api-key": next(iter(app.config.api_keys))}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=headers
    ) as client:
        created = await client.post(
            "/v1beta/tunedModels", json=create_body(1, epochs=2**31 - 1, batch=1)
        )
        assert created.status_code == 200, created.text
        assert created.json()["metadata"]["totalSteps"] == 2**31 - 1
        now[0] += 10.0**10
        done = (await client.get(f"/v1beta/{created.json()['name']}")).json()
    assert done["done"] is True
    snapshots = done["response"]["tuningTask"]["snapshots"]
    assert len(snapshots) == MAX_SNAPSHOTS
    steps = [snapshot["step"] for snapshot in snapshots]
    assert steps[-1] == 2**31 - 1
    assert len({b - a for a, b in itertools.pairwise(steps)}) == 1
    assert done["metadata"]["completedSteps"] == 2**31 - 1
    assert done["metadata"]["snapshots"] == snapshots


def test_a_job_of_more_steps_than_an_int32_is_refused(api: Api) -> None:
    response = api.post("/v1beta/tunedModels", json=create_body(3, epochs=2**31 - 1, batch=1))
    assert_error(
        response,
        400,
        "INVALID_ARGUMENT",
        "3 examples x tuned_model.tuning_task.hyperparameters.epoch_count 2147483647",
    )


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_beyond_the_limit_is_refused_and_the_server_keeps_serving(
    api: Api, http: httpx.Client, declared: bool
) -> None:
    message = f"Request payload size exceeds the limit: {MAX_BODY_BYTES} bytes."
    content = b"".join(oversized_body("displayName")) if declared else oversized_body("displayName")
    response = api.post("/v1beta/tunedModels", content=content)
    assert_error(response, 400, "INVALID_ARGUMENT", message)
    response = http.put("/_emulator/faults", content=oversized_body("displayName"))
    assert_error(response, 400, "INVALID_ARGUMENT", message)
    # The server still answers, and reads a body under the limit as usual.
    assert api.post("/v1beta/tunedModels", content=b"{").status_code == 400
    assert api.get("/v1beta/tunedModels").status_code == 200
