"""Fault injection: errors, latency, dropped connections, failed tunings, determinism."""

from __future__ import annotations

import time

import httpx
import pytest

from airflow_provider_tunedmodels.emulator.faults import FaultInjector, FaultRule
from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator
from tests.emulator.support import Api, assert_error, create_body


def test_429_with_retry_after_and_retry_info(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(FaultRule("429", route="tunedModels.list", retry_after=3))
    response = api.get("/v1beta/tunedModels")
    error = assert_error(response, 429, "RESOURCE_EXHAUSTED")
    assert response.headers["retry-after"] == "3"
    assert error["details"][0] == {
        "@type": "type.googleapis.com/google.rpc.RetryInfo",
        "retryDelay": "3s",
    }
    assert api.get("/v1beta/models").status_code == 200  # other routes unaffected


def test_500_and_503(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(rate_500=1.0)
    assert_error(api.get("/v1beta/tunedModels"), 500, "INTERNAL")
    emulator.set_faults(rate_503=1.0)
    assert_error(api.get("/v1beta/tunedModels"), 503, "UNAVAILABLE", "overloaded")
    emulator.reset_faults()
    assert api.get("/v1beta/tunedModels").status_code == 200


def test_count_limits_a_rule_and_globs_select_routes(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults({"kind": "503", "route": "tunedModels.permissions.*", "count": 2})
    model = api.tuned(create_body(2))
    statuses = [api.get(f"/v1beta/{model}/permissions").status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]


def test_latency_is_added(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(latency=0.2)
    started = time.monotonic()
    assert api.get("/v1beta/models").status_code == 200
    assert time.monotonic() - started >= 0.18


def test_dropped_connection(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(FaultRule("drop", route="tunedModels.get", count=1))
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/v1beta/tunedModels/anything")
    assert_error(api.get("/v1beta/tunedModels/anything"), 404, "NOT_FOUND")


def test_forced_tuning_failure(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(rate_tuning_failure=1.0)
    operation = api.create(create_body(20, epochs=2))
    done = api.wait_done(operation["name"])
    assert done["error"]["code"] == 13
    assert done["error"]["message"]
    assert "response" not in done
    assert done["metadata"].get("completedSteps", 0) < done["metadata"]["totalSteps"]
    model = api.get(f"/v1beta/{operation['metadata']['tunedModel']}").json()
    assert model["state"] == "FAILED"
    assert "completeTime" not in model["tuningTask"]


def test_admin_and_control_routes_are_never_faulted(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(rate_500=1.0)
    emulator.set_faults(rate_503=1.0)  # the control API still answers
    assert api.get("/_emulator/health").status_code == 200
    emulator.reset()
    assert api.get("/v1beta/models").status_code == 200


def test_faults_are_reported_and_validated(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_faults(FaultRule("429", rate=0.5, route="tunedModels.get"), seed=11, latency=0.01)
    state = api.get("/_emulator/faults").json()
    assert state["seed"] == 11
    assert {rule["kind"] for rule in state["rules"]} == {"429", "latency"}
    bad = api.http.put("/_emulator/faults", json={"rules": [{"kind": "teapot"}]})
    assert_error(bad, 400, "INVALID_ARGUMENT", "unknown fault kind")
    with pytest.raises(TypeError):
        emulator.set_faults(rate_418=1.0)


def _pattern(emulator: RunningEmulator, api: Api, seed: int) -> list[int]:
    emulator.set_faults(rate_503=0.5, seed=seed)
    return [api.get("/v1beta/models").status_code for _ in range(30)]


def test_faults_are_deterministic_for_a_seed(emulator: RunningEmulator, api: Api) -> None:
    first = _pattern(emulator, api, seed=5)
    assert 0 < first.count(503) < 30
    assert _pattern(emulator, api, seed=5) == first
    assert _pattern(emulator, api, seed=6) != first


def test_faults_given_to_run_emulator_are_active_from_the_start() -> None:
    with run_emulator(rate_429=1.0, retry_after=0.5) as emulator:
        response = httpx.get(
            f"{emulator.base_url}/v1beta/models",
            headers={"x-goog-api-key": emulator.api_key},
            trust_env=False,
        )
        assert response.status_code == 429
        assert response.headers["retry-after"] == "0.5"


def test_command_line_rule_syntax() -> None:
    rule = FaultRule.parse("429=0.25,route=tunedModels.get,retry_after=2,count=3")
    assert rule == FaultRule("429", rate=0.25, route="tunedModels.get", retry_after=2.0, count=3)
    assert FaultRule.parse("latency=1,seconds=0.05") == FaultRule("latency", seconds=0.05)
    assert FaultRule.parse("tuning_failure") == FaultRule("tuning_failure")
    for bad in ("boom=1", "429=2", "429=1,route", "429=1,colour=red"):
        with pytest.raises(ValueError):
            FaultRule.parse(bad)


def test_injector_unit_behaviour() -> None:
    injector = FaultInjector(
        [FaultRule("latency", seconds=0.5), FaultRule("drop", route="a.*")], seed=1
    )
    assert injector.decide("a.b").drop
    assert injector.decide("a.b").latency == 0.5
    assert not injector.decide("c").drop
    assert injector.decide("c").error is None
    injector.reset()
    assert injector.decide("a.b") == injector.decide("c")
