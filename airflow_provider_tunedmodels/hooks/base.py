"""What every tuning backend's hook shares, and the seam the Airflow surface talks through.

A backend (Gemini API ``tunedModels``, Vertex AI ``tuningJobs``) is one hook
class. Its REST methods are its own; what the operators, the sensor and the
trigger need of it is only this, so none of them knows a particular API:

==========================  =================================================================
seam method                 what it answers
==========================  =================================================================
``read_job_status``         one reading of a tuning job, as a :class:`JobStatus` with a
                            closed outcome (an unknown state is ``unexpected``, never "wait")
``cancel_job``              stop a job that is still running; say what was done
``job_result``              the finished job as a JSON-safe dict (an operator's return value)
``job_url``                 the job's web address (an extra link); never carries a credential
``asset_event_extra``       what an asset event about the finished job carries
==========================  =================================================================

Each has an ``a``-prefixed async twin where it does I/O. The base class also owns
the connection, the sync and async REST clients and ``test_connection``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Literal, TypeVar

from airflow.sdk import BaseHook

from airflow_provider_tunedmodels._compat import aget_connection
from airflow_provider_tunedmodels.core.calls import ApiCall
from airflow_provider_tunedmodels.core.errors import ConfigurationError
from airflow_provider_tunedmodels.core.http import AsyncRestClient, RestClient
from airflow_provider_tunedmodels.core.settings import ClientSettings, ConnectionDefaults

__all__ = [
    "JobOutcome",
    "JobStatus",
    "TuningJobHook",
    "check_connection_type",
    "hook_class_path",
    "import_hook_class",
]

T = TypeVar("T")

#: ``running`` keep waiting; ``succeeded`` the job produced a usable model; ``failed`` the
#: job ended without one; ``unexpected`` a state the backend's map does not allow here.
JobOutcome = Literal["running", "succeeded", "failed", "unexpected"]


@dataclass(frozen=True)
class JobStatus:
    """One reading of a tuning job, in the terms every backend shares.

    :ivar outcome: see :data:`JobOutcome`.
    :ivar job_name: what to poll next time (it may be more precise than what was given,
        e.g. a Gemini create operation found for a model).
    :ivar result_name: the resource :meth:`TuningJobHook.job_result` reads when done
        (the Gemini tuned model; the Vertex tuning job).
    :ivar state: the backend's own state name, as the API wrote it.
    :ivar progress: one line for the task log.
    :ivar error: ``{"code", "status", "message"}`` of a failed job, if known.
    :ivar started_at: when the job started running (seconds since the epoch), if it has;
        time before it (waiting for quota) does not count against a run timeout.
    """

    outcome: JobOutcome
    job_name: str
    result_name: str
    state: str | None
    progress: str
    error: dict[str, Any] | None = None
    started_at: float | None = None

    def run_deadline(self, run_timeout: float | None) -> float | None:
        """``started_at + run_timeout`` once the job has started, else ``None``."""
        if run_timeout is None or self.started_at is None:
            return None
        return self.started_at + run_timeout

    @property
    def finished(self) -> bool:
        return self.outcome != "running"

    def failure_message(self) -> str:
        """Why the job did not succeed, naming it."""
        if self.outcome == "unexpected":
            return (
                f"Tuning job {self.job_name} is in state {self.state!r}, which this provider "
                f"does not expect while waiting ({self.progress}); look at the job and clear "
                "the task once it is resolved."
            )
        error = self.error or {}
        reason = error.get("message") or "no reason given"
        status = f"{error['status']}: " if error.get("status") else ""
        return f"Tuning {self.result_name} failed ({status}{reason})."


def check_connection_type(connection: Any, hook_class: type[RestHook]) -> None:
    """Refuse a connection whose type is not the backend's, naming both types."""
    conn_type = (getattr(connection, "conn_type", None) or "").replace("-", "_")
    expected = getattr(hook_class, "conn_type", None)
    if not expected or conn_type == expected:
        return
    conn_id = getattr(connection, "conn_id", None) or "?"
    found = f"of type {conn_type!r}" if conn_type else "without a connection type"
    raise ConfigurationError(
        f"connection {conn_id!r} is {found}, but this needs a {expected!r} connection "
        f"({getattr(hook_class, 'hook_name', expected)}); a key or host set there would be "
        f"ignored. Create a connection of that type, or change this one's type to {expected!r}."
    )


def hook_class_path(hook_class: type[TuningJobHook]) -> str:
    """The importable path of a hook class (a trigger stores this, never the class)."""
    return f"{hook_class.__module__}.{hook_class.__qualname__}"


def import_hook_class(path: str) -> type[TuningJobHook]:
    """The hook class at ``path``; refuses anything that is not a tuning backend."""
    from importlib import import_module

    module_name, _, class_name = path.rpartition(".")
    try:
        found = getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"hook class {path!r} cannot be imported: {exc}") from None
    if not (isinstance(found, type) and issubclass(found, TuningJobHook)):
        raise ValueError(f"{path!r} is not a tuning backend hook (a TuningJobHook subclass)")
    return found


class RestHook(BaseHook):
    """A hook on the provider's REST core: one connection, one sync and one async client.

    :param conn_id: the Airflow connection (of the subclass's ``conn_type``).
    :param settings: use these settings instead of reading a connection (scripts, tests).
    :param transport: httpx transport for the sync client (tests).
    :param async_transport: httpx transport for the async client (tests).
    """

    conn_name_attr = "conn_id"
    #: The connection id used when none is given.
    default_conn_name: ClassVar[str]
    #: The API's default host, API version, scopes and extras prefix (``None``: the
    #: subclass reads its connection itself, see :meth:`settings_from_connection`).
    connection_defaults: ClassVar[ConnectionDefaults | None] = None

    def __init__(
        self,
        conn_id: str | None = None,
        *,
        settings: ClientSettings | None = None,
        transport: Any = None,
        async_transport: Any = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id or self.default_conn_name
        defaults = self.connection_defaults
        self._settings = settings.with_defaults(defaults) if settings and defaults else settings
        self._transport = transport
        self._async_transport = async_transport
        self._async_client: AsyncRestClient | None = None

    # --- connection and clients --------------------------------------------------------------

    def settings_from_connection(self, connection: Any) -> ClientSettings:
        """Turn the Airflow connection into client settings (backends add their checks).

        A connection of another type (``google_cloud_platform``, ``http``) is refused:
        its fields mean something else, and its key would be silently ignored.
        """
        if self.connection_defaults is None:
            raise NotImplementedError(f"{type(self).__name__} reads its connection itself")
        check_connection_type(connection, type(self))
        return ClientSettings.from_connection(connection, self.connection_defaults)

    @property
    def settings(self) -> ClientSettings:
        """Client settings, read from the connection on first use (blocking)."""
        if self._settings is None:
            self._settings = self.settings_from_connection(self.get_connection(self.conn_id))
        return self._settings

    async def asettings(self) -> ClientSettings:
        """Client settings, read from the connection without blocking the event loop."""
        if self._settings is None:
            connection = await aget_connection(self.conn_id)
            self._settings = self.settings_from_connection(connection)
        return self._settings

    @cached_property
    def client(self) -> RestClient:
        """The blocking REST client (one connection pool per hook)."""
        return RestClient(self.settings, transport=self._transport)

    def get_conn(self) -> RestClient:
        """Airflow's conventional accessor; same as :attr:`client`."""
        return self.client

    async def aget_client(self) -> AsyncRestClient:
        """The async REST client (one connection pool per hook)."""
        if self._async_client is None:
            settings = await self.asettings()
            # Checked again: a concurrent first call may have built it while this one awaited.
            if self._async_client is None:
                self._async_client = AsyncRestClient(settings, transport=self._async_transport)
        return self._async_client

    def close(self) -> None:
        """Close the blocking client's connections."""
        if "client" in self.__dict__:
            self.client.close()
            del self.__dict__["client"]

    async def aclose(self) -> None:
        """Close the async client's connections."""
        if self._async_client is not None:
            await self._async_client.aclose()
            self._async_client = None

    def _run(self, call: ApiCall[T]) -> T:
        return self.client.execute(call)

    async def _arun(self, call: ApiCall[T]) -> T:
        return await (await self.aget_client()).execute(call)

    async def arun_call(self, call: ApiCall[T]) -> T:
        """Run a described call on this backend's async client (bulk callers, e.g. evaluation)."""
        return await self._arun(call)

    def test_connection(self) -> tuple[bool, str]:
        """Make one cheap authenticated call (:meth:`probe`), once and quickly; never raises.

        Airflow runs this on its API server (the form's *Test* button) or where the
        ``airflow connections test`` command runs, so it makes a single attempt with a
        short timeout instead of the retries a task would make.
        """
        from airflow_provider_tunedmodels.core.errors import TransportError

        try:
            settings = self.settings
        except Exception as exc:
            return False, str(exc)
        self.close()
        self._settings = settings.for_connection_test()
        try:
            self.probe()
        except TransportError as exc:
            return False, (
                f"Could not reach {exc.url} ({exc.reason}). The test runs on the machine of "
                "the Airflow API server (or of the command line): check Base URL and Port, "
                "and that this machine can reach them."
            )
        except Exception as exc:
            return False, str(exc)
        finally:
            self.close()
            self._settings = settings
        return True, f"Connection to {settings.describe()} works."

    def probe(self) -> None:
        """One cheap authenticated call that proves the connection works."""
        raise NotImplementedError


class TuningJobHook(RestHook):
    """Base of every tuning backend's hook: the REST core of :class:`RestHook`, and the seam.

    It takes the arguments of :class:`RestHook`.
    """

    #: Set by each backend: its default host, API version, scopes and extras prefix.
    connection_defaults: ClassVar[ConnectionDefaults]

    # --- the seam ----------------------------------------------------------------------------

    def read_job_status(self, job_name: str) -> JobStatus:
        """One reading of the job named ``job_name``."""
        raise NotImplementedError

    async def aread_job_status(self, job_name: str) -> JobStatus:
        """Async :meth:`read_job_status`."""
        raise NotImplementedError

    def cancel_job(self, job_name: str) -> str:
        """Stop the job if it is still running; returns what was done, for the log."""
        raise NotImplementedError

    async def acancel_job(self, job_name: str) -> str:
        """Async :meth:`cancel_job`."""
        raise NotImplementedError

    def job_result(self, result_name: str) -> dict[str, Any]:
        """The finished job's outcome as a JSON-safe dict (wire format)."""
        raise NotImplementedError

    def job_url(self, job_name: str) -> str:
        """The job's web address; built from settings only, never from a credential."""
        raise NotImplementedError

    def asset_event_extra(self, result: Mapping[str, Any], *, reused: bool) -> dict[str, Any]:
        """What an asset event about the finished job carries (JSON-safe)."""
        raise NotImplementedError
