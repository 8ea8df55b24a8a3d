"""The hook for Vertex AI tuning jobs (``projects.locations.tuningJobs``) and what they produce.

Every method has a blocking form (for tasks) and an ``a``-prefixed async form
(for triggers and async tasks) with the same parameters and results::

    hook = VertexTuningJobsHook("vertex_ai_tuning_default")
    job = hook.create_tuning_job(
        {
            "baseModel": "gemini-2.5-flash",
            "supervisedTuningSpec": {"trainingDatasetUri": "gs://my-bucket/train.jsonl"},
        },
        run_key="support_router/tune/2025-01-01T00:00:00+00:00/-1",  # run_key_of(context)
    )
    done = hook.wait_for_tuning_job(job.name, timeout=6 * 3600)
    answer = hook.generate_content(done.endpoint, "Route this ticket: ...")

Requests are validated locally first (see
:mod:`~airflow_provider_tunedmodels.models.vertex.validation`), so a mistake fails
before anything is sent. Each call goes to the host of the location its resource
lives in, unless the connection names a base URL (an emulator, a private endpoint).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import (
    ConfigurationError,
    TunedModelsError,
)
from airflow_provider_tunedmodels.core.paging import aiter_items, iter_items
from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.defaults import VERTEX_CONN_ID
from airflow_provider_tunedmodels.hooks import vertex_calls as calls
from airflow_provider_tunedmodels.hooks.base import TuningJobHook
from airflow_provider_tunedmodels.hooks.vertex_connection import (
    DEFAULT_LOCATION,
    VERTEX_CONN_TYPE,
    VERTEX_CONNECTION,
    VERTEX_UI_FIELD_BEHAVIOUR,
    vertex_host,
    vertex_settings,
)
from airflow_provider_tunedmodels.hooks.vertex_jobs import VertexJobsMixin
from airflow_provider_tunedmodels.hooks.vertex_reattach import (
    FoundTuningJob,
    afind_by_run_key,
    find_by_run_key,
    is_ambiguous_failure,
    label_request,
    reattached,
    recovered,
)
from airflow_provider_tunedmodels.hooks.vertex_serving import VertexServingMethods
from airflow_provider_tunedmodels.models.vertex.names import location_path
from airflow_provider_tunedmodels.models.vertex.rules import coerce_message
from airflow_provider_tunedmodels.models.vertex.tuning_job import (
    ListTuningJobsResponse,
    TuningJob,
)
from airflow_provider_tunedmodels.models.vertex.validation import validate_new_tuning_job

__all__ = ["VertexTuningJobsHook"]

T = TypeVar("T")

TuningJobInput = TuningJob | Mapping[str, Any]


class VertexTuningJobsHook(VertexJobsMixin, VertexServingMethods, TuningJobHook):
    """Tune models with Vertex AI, or a compatible server, and use what tuning produces.

    Tuning jobs are methods of this class; waiting and the seam the operators, sensor
    and trigger use come from :class:`~airflow_provider_tunedmodels.hooks.vertex_jobs.VertexJobsMixin`;
    rebasing, operations, the Model Registry and generation from
    :class:`~airflow_provider_tunedmodels.hooks.vertex_serving.VertexServingMethods`.

    :param conn_id: Airflow connection of type ``vertex_ai_tuning`` or
        ``google_cloud_platform``.
    :param settings: use these settings instead of reading a connection (scripts, tests).
    :param transport: httpx transport for the sync client (tests).
    :param async_transport: httpx transport for the async client (tests).
    """

    default_conn_name = VERTEX_CONN_ID
    conn_type = VERTEX_CONN_TYPE
    hook_name = "Vertex AI (tuning jobs)"
    connection_defaults = VERTEX_CONNECTION
    #: The project of Application Default Credentials, once looked up (see :meth:`project`).
    _adc_project: str | None = None

    # --- connection, routing -------------------------------------------------------------------

    def settings_from_connection(self, connection: Any) -> ClientSettings:
        """Vertex AI settings: OAuth only, project, location and the location's host."""
        return vertex_settings(connection)

    def _run(self, call: ApiCall[T]) -> T:
        return self.client.execute(_routed(call, self.settings))

    async def _arun(self, call: ApiCall[T]) -> T:
        client = await self.aget_client()
        return await client.execute(_routed(call, client.settings))

    def _stream(self, call: ApiCall[T]) -> Iterator[T]:
        return self.client.stream(_routed(call, self.settings))

    async def _astream(self, call: ApiCall[T]) -> AsyncIterator[T]:
        client = await self.aget_client()
        async for item in client.stream(_routed(call, client.settings)):
            yield item

    def probe(self) -> None:
        """List one tuning job of the connection's project and location."""
        self.list_tuning_jobs(page_size=1)

    @property
    def location(self) -> str:
        """The connection's location (where new jobs run)."""
        return self.settings.location or DEFAULT_LOCATION

    def parent(self, location: str | None = None) -> str:
        """``projects/{project}/locations/{location}``, the connection's by default."""
        return location_path(self._project(), location or self.location)

    async def aparent(self, location: str | None = None) -> str:
        """Async :meth:`parent` (finding the default project may block)."""
        settings = await self.asettings()
        project = settings.project
        if not project:
            project = await asyncio.to_thread(self._project)
        return location_path(project, location or settings.location or DEFAULT_LOCATION)

    def _project(self) -> str:
        if self.settings.project:
            return self.settings.project
        if self._adc_project is None:
            self._adc_project = _default_project(self.settings.source)
        return self._adc_project

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel and hide the generic connection fields (no API key field: OAuth only)."""
        return {
            "hidden_fields": VERTEX_UI_FIELD_BEHAVIOUR["hidden-fields"],
            "relabeling": VERTEX_UI_FIELD_BEHAVIOUR["relabeling"],
            "placeholders": VERTEX_UI_FIELD_BEHAVIOUR["placeholders"],
        }

    def _job_name(self, name: str) -> str:
        return name if "/" in name else f"{self.parent()}/tuningJobs/{name}"

    async def _ajob_name(self, name: str) -> str:
        return name if "/" in name else f"{await self.aparent()}/tuningJobs/{name}"

    # --- tuning jobs ---------------------------------------------------------------------------

    def create_tuning_job(
        self,
        job: TuningJobInput,
        *,
        run_key: str | None = None,
        replacing: str | None = None,
        location: str | None = None,
    ) -> TuningJob:
        """Start a tuning job, after checking it locally; returns it as created (PENDING).

        :param job: a ``TuningJob`` or its JSON (camelCase or snake_case keys).
        :param run_key: names one logical run, e.g. DAG, task and run id. The job is
            labelled with its hash and a fingerprint of the request, and an existing job
            of the same run key and request is returned instead of starting a second one;
            a create whose answer was lost is looked up by it, never blindly repeated.
            Without it, a repeated create starts (and bills) another job.
        :param replacing: the run key's existing job that this create replaces (the caller
            cancelled it): it is neither returned nor taken for the new job.
        :param location: where the job runs; the connection's location by default.
        :raises RunKeyConflictError: the run key's newest job was created from a different
            request (and is not ``replacing``).
        """
        body = _create_body(job, run_key, self.settings.api_version)
        parent = self.parent(location)
        if run_key is not None:
            found = self._find(parent, run_key, body)
            if found is not None and found.job.name != replacing:
                return reattached(found)
        try:
            return self._run(calls.create_tuning_job(parent, body))
        except TunedModelsError as exc:
            if run_key is None or not is_ambiguous_failure(exc):
                raise
            return recovered(exc, self._find(parent, run_key, body), replacing)

    async def acreate_tuning_job(
        self,
        job: TuningJobInput,
        *,
        run_key: str | None = None,
        replacing: str | None = None,
        location: str | None = None,
    ) -> TuningJob:
        """Async :meth:`create_tuning_job`."""
        body = _create_body(job, run_key, (await self.asettings()).api_version)
        parent = await self.aparent(location)
        if run_key is not None:
            found = await self._afind(parent, run_key, body)
            if found is not None and found.job.name != replacing:
                return reattached(found)
        try:
            return await self._arun(calls.create_tuning_job(parent, body))
        except TunedModelsError as exc:
            if run_key is None or not is_ambiguous_failure(exc):
                raise
            return recovered(exc, await self._afind(parent, run_key, body), replacing)

    def find_tuning_job(
        self, run_key: str, job: TuningJobInput | None = None, *, location: str | None = None
    ) -> FoundTuningJob | None:
        """The newest job created for ``run_key``, or ``None``.

        :param job: the request to compare with; the result then says whether the job
            found was created from the same request (``fingerprint_matches``).
        """
        return self._find(self.parent(location), run_key, _comparable_body(job))

    async def afind_tuning_job(
        self, run_key: str, job: TuningJobInput | None = None, *, location: str | None = None
    ) -> FoundTuningJob | None:
        """Async :meth:`find_tuning_job`."""
        return await self._afind(await self.aparent(location), run_key, _comparable_body(job))

    def get_tuning_job(self, name: str) -> TuningJob:
        """Get a job by its full name, or by its id in the connection's location."""
        return self._run(calls.get_tuning_job(self._job_name(name)))

    async def aget_tuning_job(self, name: str) -> TuningJob:
        """Async :meth:`get_tuning_job`."""
        return await self._arun(calls.get_tuning_job(await self._ajob_name(name)))

    def list_tuning_jobs(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        location: str | None = None,
    ) -> ListTuningJobsResponse:
        """One page of tuning jobs, e.g. ``filter='state="JOB_STATE_RUNNING"'``."""
        call = calls.list_tuning_jobs(self.parent(location), page_size, page_token, filter)
        return self._run(call)

    async def alist_tuning_jobs(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        location: str | None = None,
    ) -> ListTuningJobsResponse:
        """Async :meth:`list_tuning_jobs`."""
        call = calls.list_tuning_jobs(await self.aparent(location), page_size, page_token, filter)
        return await self._arun(call)

    def iter_tuning_jobs(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        location: str | None = None,
    ) -> Iterator[TuningJob]:
        """Every tuning job matching ``filter``, following page tokens."""
        return iter_items(
            lambda token: self.list_tuning_jobs(
                filter=filter, page_size=page_size, page_token=token, location=location
            )
        )

    def aiter_tuning_jobs(
        self,
        *,
        filter: str | None = None,
        page_size: int | None = None,
        location: str | None = None,
    ) -> AsyncIterator[TuningJob]:
        """Async :meth:`iter_tuning_jobs`."""
        return aiter_items(
            lambda token: self.alist_tuning_jobs(
                filter=filter, page_size=page_size, page_token=token, location=location
            )
        )

    def cancel_tuning_job(self, name: str) -> None:
        """Ask the server to cancel a job (best effort; read the job to see the outcome)."""
        self._run(calls.cancel_tuning_job(self._job_name(name)))

    async def acancel_tuning_job(self, name: str) -> None:
        """Async :meth:`cancel_tuning_job`."""
        await self._arun(calls.cancel_tuning_job(await self._ajob_name(name)))

    def _find(
        self, parent: str, run_key: str, body: Mapping[str, Any] | None
    ) -> FoundTuningJob | None:
        def page(filter: str | None, token: str | None) -> ListTuningJobsResponse:
            return self._run(calls.list_tuning_jobs(parent, None, token, filter))

        return find_by_run_key(page, run_key, body)

    async def _afind(
        self, parent: str, run_key: str, body: Mapping[str, Any] | None
    ) -> FoundTuningJob | None:
        async def page(filter: str | None, token: str | None) -> ListTuningJobsResponse:
            return await self._arun(calls.list_tuning_jobs(parent, None, token, filter))

        return await afind_by_run_key(page, run_key, body)


def _routed(call: ApiCall[T], settings: ClientSettings) -> ApiCall[T]:
    """Send ``call`` to the host of the location its resource lives in.

    A connection that names its own base URL (an emulator, a private endpoint) keeps
    every call on that URL.
    """
    location = calls.location_of(call.path)
    if call.base_url or location is None or location == settings.location:
        return call
    if settings.root_url != vertex_host(settings.location or DEFAULT_LOCATION):
        return call
    return replace(call, base_url=vertex_host(location))


def _create_body(job: TuningJobInput, run_key: str | None, api_version: str) -> dict[str, Any]:
    parsed = coerce_message(TuningJob, job, "the tuning job to create")
    validate_new_tuning_job(parsed, api_version=api_version)
    body = calls.create_body(parsed)
    return label_request(body, run_key) if run_key is not None else body


def _comparable_body(job: TuningJobInput | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return calls.create_body(coerce_message(TuningJob, job, "the tuning job to compare"))


def _default_project(source: str) -> str:
    """The project of Application Default Credentials, for connections that name none."""
    import google.auth

    try:
        _, project = google.auth.default()
    except google.auth.exceptions.DefaultCredentialsError:
        project = None
    if not project:
        raise ConfigurationError(
            f"{source}: no Google Cloud project is known; set the extra 'project' (its id or "
            "number), or use a service-account key, which names its project"
        )
    return str(project)
