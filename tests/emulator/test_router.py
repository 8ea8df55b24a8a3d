"""The route table API packages register on."""

from __future__ import annotations

from airflow_provider_tunedmodels.emulator.responses import Reply, json_reply
from airflow_provider_tunedmodels.emulator.router import Call, Router, compile_template


async def _first(call: Call) -> Reply:
    return json_reply({"handler": "first"})


async def _second(call: Call) -> Reply:
    return json_reply({"handler": "second"})


def test_placeholders_match_one_segment_and_greedy_ones_the_rest() -> None:
    single = compile_template("/v1/projects/{project}/tuningJobs/{job}:cancel")
    found = single.match("/v1/projects/p-1/tuningJobs/123:cancel")
    assert found is not None
    assert found.groupdict() == {"project": "p-1", "job": "123"}
    assert single.match("/v1/projects/a/b/tuningJobs/123:cancel") is None
    greedy = compile_template("/storage/v1/b/{bucket}/o/{object=**}")
    found = greedy.match("/storage/v1/b/data/o/dir/train:1.jsonl")
    assert found is not None
    assert found.groupdict() == {"bucket": "data", "object": "dir/train:1.jsonl"}


def test_routes_match_by_method_in_registration_order() -> None:
    router = Router()
    router.add("GET", "/v1/things/{thing}", "things.get", _first)
    router.add("GET", "/v1/things/{name=**}", "things.getNested", _second, write=True)
    router.add("DELETE", "/v1/things/{thing}", "things.delete", _second, write=True)
    route, params = router.match("GET", "/v1/things/a") or (None, None)
    assert route is not None
    assert (route.route_id, params, route.write) == ("things.get", {"thing": "a"}, False)
    nested = router.match("GET", "/v1/things/a/b")
    assert nested is not None
    assert nested[0].route_id == "things.getNested"
    assert router.match("POST", "/v1/things/a") is None
    assert router.match("GET", "/v2/things/a") is None
