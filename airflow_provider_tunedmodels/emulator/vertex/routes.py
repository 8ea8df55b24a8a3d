"""Vertex AI's routes (``aiplatform.googleapis.com``) and their handlers.

Every route is served under ``/v1/`` and ``/v1beta1/`` (google-genai defaults
to ``v1beta1``); operations also under ``/ui/``, where the official clients poll
them. Callers need an OAuth bearer token with the ``cloud-platform`` scope: API
keys are refused with ``401``, as on the real service. Route ids are the
discovery method ids (``projects.locations.tuningJobs.create``...), which fault
rules select. Every success is HTTP 200.
"""

from __future__ import annotations

import asyncio

from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.responses import Reply, json_reply, stream_reply
from airflow_provider_tunedmodels.emulator.router import Access, Call, Handler, Router
from airflow_provider_tunedmodels.emulator.schemas import parse_message
from airflow_provider_tunedmodels.emulator.vertex.generation import (
    Answer,
    VertexGenerator,
    response_json,
    stream_json,
)
from airflow_provider_tunedmodels.emulator.vertex.jobs import Location, TuningJobs
from airflow_provider_tunedmodels.emulator.vertex.names import (
    ModelRef,
    check_location,
    project_number,
)
from airflow_provider_tunedmodels.emulator.vertex.operations import Operations
from airflow_provider_tunedmodels.emulator.vertex.registry import ModelRegistry
from airflow_provider_tunedmodels.emulator.vertex.schemas import (
    CANCEL_REQUEST,
    WAIT_OPERATION_REQUEST,
    tuning_job,
)
from airflow_provider_tunedmodels.emulator.vertex.store import VertexStore
from airflow_provider_tunedmodels.emulator.wire import (
    parse_field_mask,
    parse_page_size,
    query_value,
)

__all__ = ["API_VERSIONS", "VERTEX_ACCESS", "VertexApi", "register"]

#: The API versions every route is served under.
API_VERSIONS = ("v1", "v1beta1")
#: OAuth only, ``cloud-platform`` (read-only methods also accept ``cloud-platform.read-only``).
VERTEX_ACCESS = Access(
    write_scopes=frozenset({"https://www.googleapis.com/auth/cloud-platform"}),
    read_scopes=frozenset(
        {
            "https://www.googleapis.com/auth/cloud-platform",
            "https://www.googleapis.com/auth/cloud-platform.read-only",
        }
    ),
    api_keys=False,
    service="aiplatform.googleapis.com",
)
#: ``pageSize`` of list calls: default and maximum.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_CREATE = "projects.locations.tuningJobs.create"
_REBASE = "projects.locations.tuningJobs.rebaseTunedModel"


def register(router: Router, context: ServerContext) -> None:
    """Serve Vertex AI on ``router``, keeping its state in ``context.state``."""
    VertexApi(context).register(router)


class VertexApi:
    """Vertex AI's services and request handlers."""

    def __init__(self, context: ServerContext) -> None:
        self.faults = context.faults
        self.store = VertexStore(context.state, seed=context.config.seed)
        self.jobs = TuningJobs(self.store, context)
        self.operations = Operations(self.jobs)
        self.registry = ModelRegistry(self.jobs)
        self.generator = VertexGenerator(self.jobs)
        for project in {job.project for job in self.store.jobs.values()}:
            self.jobs.replan(project)

    def register(self, router: Router) -> None:
        """Add every route under each API version."""

        def add(method: str, path: str, route_id: str, handler: Handler, write: bool) -> None:
            router.add(method, path, route_id, handler, write=write, access=VERTEX_ACCESS)

        for version in API_VERSIONS:
            parent = f"/{version}/projects/{{project}}/locations/{{location}}"
            jobs = f"{parent}/tuningJobs"
            job_id = "projects.locations.tuningJobs"
            add("GET", f"{jobs}/{{job}}", f"{job_id}.get", self._get_job, False)
            add("GET", jobs, f"{job_id}.list", self._list_jobs, False)
            add("POST", jobs, _CREATE, self._create_job, True)
            add("POST", f"{jobs}/{{job}}:cancel", f"{job_id}.cancel", self._cancel_job, True)
            add("POST", f"{jobs}:rebaseTunedModel", _REBASE, self._rebase, True)
            models = f"{parent}/models/{{model}}"
            add("GET", models, "projects.locations.models.get", self._get_model, False)
            add("PATCH", models, "projects.locations.models.patch", self._patch_model, True)
            contexts = f"{parent}/metadataStores/default/contexts/{{context}}"
            add(
                "GET",
                contexts,
                "projects.locations.metadataStores.contexts.get",
                self._context,
                False,
            )
            for kind, target in (
                ("endpoints", f"{parent}/endpoints/{{endpoint}}"),
                ("publishers.models", f"{parent}/publishers/google/models/{{model}}"),
            ):
                route = f"projects.locations.{kind}"
                add(
                    "POST",
                    f"{target}:generateContent",
                    f"{route}.generateContent",
                    self._generate,
                    False,
                )
                add(
                    "POST",
                    f"{target}:streamGenerateContent",
                    f"{route}.streamGenerateContent",
                    self._stream,
                    False,
                )
        for version in (*API_VERSIONS, "ui"):
            ops = f"/{version}/projects/{{project}}/locations/{{location}}/tuningJobs/{{job}}/operations"
            op_id = "projects.locations.tuningJobs.operations"
            add("GET", f"{ops}/{{operation}}", f"{op_id}.get", self._get_operation, False)
            add("GET", ops, f"{op_id}.list", self._list_operations, False)
            add(
                "POST",
                f"{ops}/{{operation}}:cancel",
                f"{op_id}.cancel",
                self._cancel_operation,
                True,
            )
            if version == "ui":
                add(
                    "POST",
                    f"{ops}/{{operation}}:wait",
                    f"{op_id}.wait",
                    self._wait_operation,
                    False,
                )

    # -- tuning jobs ----------------------------------------------------------

    async def _create_job(self, call: Call) -> Reply:
        parent = _parent(call)
        body = await call.json_body()
        request = parse_message(tuning_job(call.api_version), body, "tuning_job")
        tuning = self.jobs.read_request(request, parent)
        learned = await asyncio.to_thread(self.jobs.load_dataset, tuning)
        outcome = self.faults.scripted_outcome(_CREATE)
        job = self.jobs.create(parent, call.api_version, request, tuning, learned, outcome=outcome)
        return json_reply(self.jobs.render(job, call.api_version, enum_numbers=_enum_numbers(call)))

    async def _get_job(self, call: Call) -> Reply:
        job = self.jobs.find(_parent(call), call.params["job"])
        return json_reply(self.jobs.render(job, call.api_version, enum_numbers=_enum_numbers(call)))

    async def _list_jobs(self, call: Call) -> Reply:
        return json_reply(
            self.jobs.list_page(
                _parent(call),
                call.api_version,
                raw_filter=call.query.get("filter"),
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
                enum_numbers=_enum_numbers(call),
            )
        )

    async def _cancel_job(self, call: Call) -> Reply:
        parse_message(CANCEL_REQUEST, await call.json_body(), "")
        self.jobs.cancel(self.jobs.find(_parent(call), call.params["job"]))
        return json_reply({})

    async def _rebase(self, call: Call) -> Reply:
        body = await call.json_body()
        outcome = self.faults.scripted_outcome(_REBASE)
        return json_reply(
            self.operations.rebase(_parent(call), call.api_version, body, outcome=outcome)
        )

    # -- operations -----------------------------------------------------------

    async def _get_operation(self, call: Call) -> Reply:
        operation = self.operations.find(
            _parent(call), call.params["job"], call.params["operation"]
        )
        return json_reply(self.operations.render(operation))

    async def _list_operations(self, call: Call) -> Reply:
        return json_reply(
            self.operations.list_page(
                _parent(call),
                call.params["job"],
                page_size=_page_size(call),
                page_token=query_value(call.query, "pageToken"),
            )
        )

    async def _cancel_operation(self, call: Call) -> Reply:
        parse_message(CANCEL_REQUEST, await call.json_body(), "")
        operation = self.operations.find(
            _parent(call), call.params["job"], call.params["operation"]
        )
        return json_reply(self.operations.cancel(operation))

    async def _wait_operation(self, call: Call) -> Reply:
        request = parse_message(WAIT_OPERATION_REQUEST, await call.json_body(), "")
        timeout = request.get("timeout") or call.query.get("timeout")
        operation = self.operations.find(
            _parent(call), call.params["job"], call.params["operation"]
        )
        return json_reply(await self.operations.wait(operation, timeout))

    # -- models, contexts, generation -------------------------------------------

    async def _get_model(self, call: Call) -> Reply:
        return json_reply(self.registry.get(_model_ref(call)))

    async def _patch_model(self, call: Call) -> Reply:
        body = await call.json_body()
        mask = parse_field_mask(query_value(call.query, "updateMask"))
        return json_reply(self.registry.patch(_model_ref(call), body, mask))

    async def _context(self, call: Call) -> Reply:
        return json_reply(self.registry.experiment(_parent(call), call.params["context"]))

    async def _generate(self, call: Call) -> Reply:
        return json_reply(response_json(await self._answer(call)))

    async def _stream(self, call: Call) -> Reply:
        answer = await self._answer(call)
        return stream_reply(stream_json(answer), sse=call.query.get("alt") == "sse")

    async def _answer(self, call: Call) -> Answer:
        body = await call.json_body()
        parent = _parent(call)
        if "endpoint" in call.params:
            return self.generator.endpoint(parent, call.params["endpoint"], body)
        return self.generator.publisher(parent, call.params["model"], body)


def _parent(call: Call) -> Location:
    return Location(project_number(call.params["project"]), check_location(call.params["location"]))


def _model_ref(call: Call) -> ModelRef:
    parent = _parent(call)
    model_id, _, version = call.params["model"].partition("@")
    return ModelRef(parent.project, parent.location, model_id, version or None)


def _enum_numbers(call: Call) -> bool:
    """Whether the caller asked for enums as numbers (``$alt=json;enum-encoding=int``)."""
    return "enum-encoding=int" in call.query.get("$alt", "")


def _page_size(call: Call) -> int:
    return parse_page_size(
        query_value(call.query, "pageSize"), default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE
    )
