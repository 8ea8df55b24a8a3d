"""A throwaway Airflow 3 deployment made of real, separate component processes.

:class:`AirflowCluster` builds an isolated ``AIRFLOW_HOME`` in a temporary directory, configures
it only through ``AIRFLOW__SECTION__KEY`` environment variables, migrates the metadata database
and starts each component (``api-server``, ``scheduler``, ``dag-processor``, ``triggerer`` and,
for Celery, ``celery worker``) as its own process group. Tests then drive it the way a user
would, through the REST API v2 of the API server, and read back runs, task instances, XComs,
asset events, backfills and logs.

Every process the cluster started is killed by :meth:`AirflowCluster.stop`, which also runs at
interpreter exit: each component's process group, then whatever is left of the process trees
(task runners move to process groups of their own) and any process that carries the cluster's
unique ``AIRFLOW_HOME`` in its environment.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil

API_SERVER = "api-server"
SCHEDULER = "scheduler"
DAG_PROCESSOR = "dag-processor"
TRIGGERER = "triggerer"
CELERY_WORKER = "celery-worker"

#: Components that register a heartbeating ``Job`` row, by the row's ``job_type``.
JOB_TYPES = {
    SCHEDULER: "SchedulerJob",
    DAG_PROCESSOR: "DagProcessorJob",
    TRIGGERER: "TriggererJob",
}

TERMINAL_RUN_STATES = frozenset({"success", "failed"})
TERMINAL_TI_STATES = frozenset({"success", "failed", "skipped", "upstream_failed", "removed"})

_USERNAME = "e2e"
_LOG_TAIL_CHARS = 12_000
#: How often a write the busy database refused is repeated (see ``_refused_by_busy_database``).
_WRITE_RETRIES = 10
#: How often a request is repeated after the connection to the API server broke (see ``_send``).
_TRANSPORT_RETRIES = 3
_REPEATABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
#: How long a read of asset events may fail on a run that has not started (apache/airflow#71360).
_UNSTARTED_RUN_GRACE = 60.0
_T = TypeVar("_T")


class ClusterError(RuntimeError):
    """The cluster failed to start, a component died, or a wait timed out."""


@dataclass(frozen=True)
class Topology:
    """Which executor and metadata database a cluster uses.

    :param name: short id used in test ids and log headers.
    :param executor: value of ``[core] executor``.
    :param database_url: SQLAlchemy URL of the metadata database; ``None`` means a SQLite file
        inside the cluster's ``AIRFLOW_HOME``.
    :param celery_url: Redis URL used as Celery broker and result backend; only for Celery.
    :param api_server_only: start the API server alone (for tests of the web UI).
    """

    name: str
    executor: str
    database_url: str | None = None
    celery_url: str | None = None
    api_server_only: bool = False

    @classmethod
    def local(cls) -> Topology:
        """SQLite metadata database and LocalExecutor: runs on any fresh machine."""
        return cls(name="local", executor="LocalExecutor")

    @classmethod
    def celery(cls, database_url: str, redis_url: str) -> Topology:
        """PostgreSQL (or any server database) with CeleryExecutor and a Redis broker."""
        return cls(
            name="celery",
            executor="airflow.providers.celery.executors.celery_executor.CeleryExecutor",
            database_url=database_url,
            celery_url=redis_url,
        )

    @classmethod
    def web_ui(cls) -> Topology:
        """The API server alone, on SQLite: what a test of the web UI needs."""
        return cls(name="ui", executor="LocalExecutor", api_server_only=True)

    @property
    def components(self) -> tuple[str, ...]:
        if self.api_server_only:
            return (API_SERVER,)
        base = (API_SERVER, SCHEDULER, DAG_PROCESSOR, TRIGGERER)
        return (*base, CELERY_WORKER) if self.celery_url else base


@dataclass(frozen=True)
class Deferral:
    """What was observed while a task instance sat in the ``deferred`` state."""

    trigger_id: int
    trigger_classpath: str
    triggerer_job_id: int


@dataclass(frozen=True)
class _Component:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(
    check: Callable[[], _T | None],
    *,
    timeout: float,
    interval: float = 0.5,
    describe: str,
    on_timeout: Callable[[], str] | None = None,
) -> _T:
    """Call ``check`` until it returns something other than ``None`` or ``timeout`` elapses."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            details = on_timeout() if on_timeout else ""
            raise ClusterError(f"timed out after {timeout:.0f}s waiting for {describe}\n{details}")
        time.sleep(interval)


def _tail(path: Path, chars: int = _LOG_TAIL_CHARS) -> str:
    if not path.exists():
        return "<no log file>"
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - chars))
        return handle.read().decode("utf-8", errors="replace")


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _terminate_groups(processes: Iterable[subprocess.Popen[bytes]], grace: float) -> None:
    """SIGTERM the process groups, wait up to ``grace`` seconds, then SIGKILL them."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes:
        _signal_group(process, signal.SIGKILL)  # the leader may be gone but not its children
        process.wait(timeout=30)


def _isoformat(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("pass timezone-aware datetimes")
    return moment.isoformat()


class AirflowCluster:
    """An Airflow deployment of real component processes, driven through the REST API.

    Typical use::

        with AirflowCluster(Topology.local(), dags_folder) as cluster:
            cluster.wait_for_dag("my_dag")
            cluster.set_paused("my_dag", paused=False)
            run_id = cluster.trigger_dag_run("my_dag")
            assert cluster.wait_for_dag_run("my_dag", run_id) == "success"

    :param topology: executor and databases, see :class:`Topology`.
    :param dags_folder: folder the dag processor parses.
    :param extra_env: more environment for every component (connections, provider settings).
    :param startup_timeout: seconds allowed for migration and for the components to be healthy.
    """

    def __init__(
        self,
        topology: Topology,
        dags_folder: Path,
        *,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = 240.0,
    ) -> None:
        self.topology = topology
        self.dags_folder = Path(dags_folder).resolve()
        self.startup_timeout = startup_timeout
        self.home = Path(tempfile.mkdtemp(prefix=f"airflow-e2e-{topology.name}-"))
        self.api_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.api_port}"
        self._password = secrets.token_urlsafe(16)
        self._extra_env = dict(extra_env or {})
        self._components: dict[str, _Component] = {}
        self._seen_job_ids: dict[str, set[int]] = {name: set() for name in JOB_TYPES}
        self._stopped_on_purpose: set[str] = set()
        self._client: httpx.Client | None = None
        self._env = self._build_env()
        self._stopped = False
        atexit.register(self.stop)

    # ------------------------------------------------------------------ configuration

    @property
    def component_log_dir(self) -> Path:
        return self.home / "component-logs"

    @property
    def task_log_dir(self) -> Path:
        return self.home / "logs"

    def _database_url(self) -> str:
        return self.topology.database_url or f"sqlite:///{self.home / 'airflow.db'}"

    def _build_env(self) -> dict[str, str]:
        """Environment of every component: the parent's, minus any Airflow settings, plus ours."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
        env.update(self._airflow_settings())
        env.update(self._extra_env)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _airflow_settings(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        settings = {
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": self.topology.executor,
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            # Workers reach the execution API on our API server, not on the default :8080.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            # SimpleAuthManager with one admin whose password we choose (file written in start()).
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{_USERNAME}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self._passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self._database_url(),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            # All components must share the JWT secret that signs execution API tokens.
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.task_log_dir),
            "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
            # Log servers default to fixed ports; pick free ones so clusters can coexist.
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # Faster loops than the production defaults, sized for a 2-core machine.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
            "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            # A killed triggerer is declared dead quickly, so a new one adopts its triggers.
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "6",
            # Task supervisors notice their task's exit within this many seconds; keeping it short
            # narrows the stale defer-exit event race of apache/airflow#72716.
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
            # The default 5 s is tight for a loaded 2-core machine, and a retried state change
            # can be refused as a conflict by the API server.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
        }
        if self.topology.celery_url:
            settings.update(
                {
                    "AIRFLOW__CELERY__BROKER_URL": self.topology.celery_url,
                    "AIRFLOW__CELERY__RESULT_BACKEND": self.topology.celery_url,
                    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
                }
            )
        return settings

    @property
    def _passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def _command(self, component: str) -> list[str]:
        airflow = str(Path(sys.executable).with_name("airflow"))
        if component == CELERY_WORKER:
            hostname = f"e2e-{self.topology.name}-{self.api_port}@%h"
            return [
                airflow,
                "celery",
                "worker",
                "-H",
                hostname,
                "--without-gossip",
                "--without-mingle",
            ]
        return [airflow, component]

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> AirflowCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Migrate the metadata database, start every component and wait until all are healthy.

        On failure everything already started is stopped, and the error carries the logs.
        """
        try:
            self._start()
        except Exception as exc:
            logs = self.collect_logs()
            self.stop()
            raise ClusterError(
                f"the {self.topology.name} cluster did not start: {exc}\n{logs}"
            ) from exc
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.component_log_dir.mkdir(parents=True, exist_ok=True)
        self._passwords_file.write_text(json.dumps({_USERNAME: self._password}))
        self._migrate_database()
        for component in self.topology.components:
            self._spawn(component)
        self._wait_for_api_server()
        for component in self.topology.components:
            if component != API_SERVER:
                self._wait_until_ready(component)

    def _migrate_database(self) -> None:
        log_path = self.component_log_dir / "db-migrate.log"
        with log_path.open("ab") as log:
            result = subprocess.run(
                [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=self.startup_timeout,
                check=False,
            )
        if result.returncode != 0:
            raise ClusterError(f"airflow db migrate failed:\n{_tail(log_path)}")

    def _spawn(self, component: str) -> None:
        log_path = self.component_log_dir / f"{component}.log"
        with log_path.open("ab") as log:
            log.write(f"\n===== starting {component} at {time.ctime()} =====\n".encode())
            log.flush()
            process = subprocess.Popen(
                self._command(component),
                env=self._env,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group, killed as a whole
            )
        self._components[component] = _Component(component, process, log_path)

    def start_component(self, component: str, *, timeout: float | None = None) -> None:
        """Start one component (again) and wait until it is healthy.

        For the job components this waits for a *new* heartbeating ``Job`` row, so a restarted
        triggerer is only reported ready once it really runs, not on its predecessor's heartbeat.
        """
        running = self._components.get(component)
        if running and running.process.poll() is None:
            raise ClusterError(f"{component} is already running")
        self._spawn(component)
        self._stopped_on_purpose.discard(component)
        self._wait_until_ready(component, timeout=timeout)

    def kill_component(self, component: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send ``sig`` (SIGKILL by default: a crash) to a component's whole process tree."""
        process = self._components[component].process
        self._stopped_on_purpose.add(component)
        tree: list[psutil.Process] = []
        with contextlib.suppress(psutil.Error):
            tree = psutil.Process(process.pid).children(recursive=True)
        _signal_group(process, sig)
        for child in tree:  # including children that moved to a process group of their own
            with contextlib.suppress(psutil.Error):
                child.send_signal(sig)
        process.wait(timeout=30)

    def stop_component(self, component: str, *, grace: float = 15.0) -> None:
        """SIGTERM a component's process group, then SIGKILL what is left after ``grace``."""
        self._stopped_on_purpose.add(component)
        _terminate_groups([self._components[component].process], grace)

    def pid(self, component: str) -> int:
        """Process id of a component's leader process (its process group id as well)."""
        return self._components[component].process.pid

    def is_running(self, component: str) -> bool:
        entry = self._components.get(component)
        return entry is not None and entry.process.poll() is None

    def stop(self) -> None:
        """Kill every process this cluster started. Idempotent; also registered with ``atexit``.

        The temporary ``AIRFLOW_HOME`` is kept for post-mortem reading: see :meth:`remove_home`.
        """
        if self._stopped:
            return
        self._stopped = True
        if self._client is not None:
            self._client.close()
        tree = self.processes()  # before signalling: task runners leave our process groups
        _terminate_groups([entry.process for entry in self._components.values()], grace=10.0)
        leftovers = [process for process in {*tree, *self.processes()} if process.is_running()]
        for process in leftovers:
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(leftovers, timeout=10)
        atexit.unregister(self.stop)

    def remove_home(self) -> None:
        """Delete the temporary ``AIRFLOW_HOME`` and every log in it."""
        shutil.rmtree(self.home, ignore_errors=True)

    def processes(self) -> list[psutil.Process]:
        """Live processes of this cluster.

        That is every component's process tree, plus any process whose environment carries this
        cluster's ``AIRFLOW_HOME`` (the tree alone misses orphans; the environment alone misses
        processes whose process title overwrote it).
        """
        found: dict[int, psutil.Process] = {}
        for entry in self._components.values():
            with contextlib.suppress(psutil.Error):
                leader = psutil.Process(entry.process.pid)
                for process in [leader, *leader.children(recursive=True)]:
                    found[process.pid] = process
        home = str(self.home)
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.pid != os.getpid() and process.environ().get("AIRFLOW_HOME") == home:
                    found.setdefault(process.pid, process)
        return list(found.values())

    # ------------------------------------------------------------------ health

    def _assert_alive(self, component: str) -> None:
        entry = self._components[component]
        code = entry.process.poll()
        if code is not None:
            raise ClusterError(f"{component} exited with code {code}:\n{_tail(entry.log_path)}")

    def _assert_all_alive(self) -> None:
        """Fail fast, with its log, when a component died that no test stopped on purpose."""
        if self._stopped:
            raise ClusterError("the cluster has been stopped")
        for name in self._components:
            if name not in self._stopped_on_purpose:
                self._assert_alive(name)

    def _wait_for_api_server(self) -> None:
        def token() -> str | None:
            self._assert_alive(API_SERVER)
            try:
                response = httpx.post(
                    f"{self.base_url}/auth/token",
                    json={"username": _USERNAME, "password": self._password},
                    timeout=10,
                )
            except httpx.TransportError:
                return None
            return response.json()["access_token"] if response.status_code == 201 else None

        access_token = poll(
            token, timeout=self.startup_timeout, interval=1.0, describe="the API server"
        )
        self._client = httpx.Client(
            base_url=f"{self.base_url}/api/v2",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=60,
        )
        self._warm_up_execution_api()

    def _warm_up_execution_api(self) -> None:
        """Build the execution API before any worker needs it.

        The API server builds its execution API sub-application on the first request to
        ``/execution/``, which blocks the server for seconds (about 17 s on a busy 2-core
        machine). A worker's first call would otherwise time out and be retried.
        """
        response = httpx.get(f"{self.base_url}/execution/health", timeout=self.startup_timeout)
        if response.status_code != 200:
            raise ClusterError(f"execution API unhealthy: {response.status_code} {response.text}")

    def _wait_until_ready(self, component: str, *, timeout: float | None = None) -> None:
        timeout = timeout or self.startup_timeout
        if component in JOB_TYPES:
            self._wait_for_new_job(component, timeout)
        elif component == CELERY_WORKER:
            self.wait_for_component_log(component, " ready.", timeout=timeout)

    def _wait_for_new_job(self, component: str, timeout: float) -> int:
        """Wait for a live ``Job`` of the component's type that did not exist before."""

        def new_job_id() -> int | None:
            self._assert_alive(component)
            alive = {job["id"] for job in self.alive_jobs(JOB_TYPES[component])}
            fresh = alive - self._seen_job_ids[component]
            return max(fresh) if fresh else None

        job_id = poll(new_job_id, timeout=timeout, interval=1.0, describe=f"{component} heartbeat")
        self._seen_job_ids[component].add(job_id)
        return job_id

    def wait_for_component_log(self, component: str, needle: str, *, timeout: float = 60.0) -> None:
        """Wait until ``component`` has written ``needle`` to its stdout/stderr log."""
        log_path = self._components[component].log_path

        def seen() -> bool | None:
            if component not in self._stopped_on_purpose:
                self._assert_alive(component)
            return True if needle in log_path.read_text(errors="replace") else None

        poll(seen, timeout=timeout, interval=0.5, describe=f"{component} to log {needle!r}")

    def health(self) -> dict[str, Any]:
        """The API server's view of the metadata database and the job components."""
        return dict(self._request("GET", "/monitor/health"))

    def alive_jobs(self, job_type: str) -> list[dict[str, Any]]:
        """Jobs of ``job_type`` (e.g. ``"TriggererJob"``) whose heartbeat is recent."""
        params = {"job_type": job_type, "is_alive": True, "limit": 100}
        return list(self._request("GET", "/jobs", params=params)["jobs"])

    def current_job_id(self, component: str) -> int:
        """Id of the ``Job`` registered by the running process of ``component``."""
        return max(self._seen_job_ids[component])

    # ------------------------------------------------------------------ REST API

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; repeat a request safe to repeat when the connection broke.

        A reset or dropped connection to the API server is repeated on a new connection (at
        most ``_TRANSPORT_RETRIES`` times, 1 s apart) for methods that are safe to repeat; a
        ``POST`` is not repeated, since the server may have acted on it. Before repeating, the
        API server must still be alive: a dead server fails at once, with its log.
        """
        if self._client is None:
            raise ClusterError("the cluster is not started")
        repeats = _TRANSPORT_RETRIES if method.upper() in _REPEATABLE_METHODS else 0
        attempt = 1
        while True:
            try:
                return self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                self._assert_alive(API_SERVER)
                if attempt > repeats:
                    raise ClusterError(
                        f"{method} {path} failed after {attempt} attempt(s): {exc!r}"
                    ) from exc
                print(f"{method} {path}: {exc!r}; repeating on a new connection", file=sys.stderr)
                attempt += 1
                time.sleep(1)

    def _request(self, method: str, path: str, *, retry_busy: int = 0, **kwargs: Any) -> Any:
        """Call the REST API.

        A request the busy database refused (see ``_refused_by_busy_database``) is repeated up
        to ``retry_busy`` times, 2 s apart.
        """
        response = self._send(method, path, **kwargs)
        for _ in range(retry_busy):
            if not _refused_by_busy_database(response):
                break
            time.sleep(2)
            response = self._send(method, path, **kwargs)
        return _decoded(method, path, response)

    def _get_asset_events(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """GET a list of asset events, waiting out apache/airflow#71360.

        Airflow 3.3 answers 500 for a list that holds an event whose created runs include one
        that has not started yet (``start_date`` NULL), until the scheduler starts that run
        (fixed upstream by apache/airflow#71379). Such a read is repeated for up to
        ``_UNSTARTED_RUN_GRACE`` seconds.
        """

        def attempt() -> httpx.Response | None:
            response = self._send("GET", path, params=params)
            return None if response.status_code == 500 else response

        response = poll(
            attempt,
            timeout=_UNSTARTED_RUN_GRACE,
            interval=1.0,
            describe=f"GET {path} to stop answering 500 (apache/airflow#71360)",
        )
        return list(_decoded("GET", path, response)["asset_events"])

    def wait_for_dag(self, dag_id: str, *, timeout: float = 120.0) -> dict[str, Any]:
        """Wait until the dag processor has parsed and serialized ``dag_id``.

        Fails at once, with the traceback, if the dags folder has an import error.
        """

        def dag() -> dict[str, Any] | None:
            self._assert_all_alive()
            errors = self.import_errors()
            if errors:
                raise ClusterError(
                    f"import errors in the dags folder: {json.dumps(errors, indent=1)}"
                )
            response = self._send("GET", f"/dags/{dag_id}")
            return response.json() if response.status_code == 200 else None

        return poll(dag, timeout=timeout, interval=1.0, describe=f"DAG {dag_id} to be parsed")

    def import_errors(self) -> list[dict[str, Any]]:
        """Import errors the dag processor recorded for the dags folder."""
        return list(self._request("GET", "/importErrors")["import_errors"])

    def set_paused(self, dag_id: str, *, paused: bool) -> None:
        body = {"is_paused": paused}
        self._request("PATCH", f"/dags/{dag_id}", json=body, retry_busy=_WRITE_RETRIES)

    def trigger_dag_run(
        self,
        dag_id: str,
        *,
        conf: Mapping[str, Any] | None = None,
        logical_date: datetime | None = None,
        run_id: str | None = None,
    ) -> str:
        """Create a manual run and return its run id."""
        body: dict[str, Any] = {
            "logical_date": _isoformat(logical_date) if logical_date else None,
            "conf": dict(conf or {}),
        }
        if run_id:
            body["dag_run_id"] = run_id
        path = f"/dags/{dag_id}/dagRuns"
        created = self._request("POST", path, json=body, retry_busy=_WRITE_RETRIES)
        return str(created["dag_run_id"])

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/dags/{dag_id}/dagRuns/{run_id}"))

    def dag_runs(self, dag_id: str, *, run_type: str | None = None) -> list[dict[str, Any]]:
        """All runs of ``dag_id``, oldest logical date first, optionally of one ``run_type``."""
        params: dict[str, Any] = {"limit": 100, "order_by": "logical_date"}
        if run_type:
            params["run_type"] = [run_type]
        return list(self._request("GET", f"/dags/{dag_id}/dagRuns", params=params)["dag_runs"])

    def wait_for_dag_run(self, dag_id: str, run_id: str, *, timeout: float = 180.0) -> str:
        """Wait for a terminal state (``success``/``failed``) of a run and return it."""

        def terminal_state() -> str | None:
            self._assert_all_alive()
            state = self.dag_run(dag_id, run_id)["state"]
            return state if state in TERMINAL_RUN_STATES else None

        return poll(
            terminal_state,
            timeout=timeout,
            interval=1.0,
            describe=f"run {dag_id}/{run_id} to finish",
            on_timeout=lambda: json.dumps(self.task_instances(dag_id, run_id), indent=1),
        )

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        """Task instances of a run, by task id (unmapped tasks)."""
        payload = self._request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {ti["task_id"]: ti for ti in payload["task_instances"]}

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        return dict(self._request("GET", path))

    def task_instance_tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        """Every try of a task instance (task instance history plus the current try)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries"
        return list(self._request("GET", path)["task_instances"])

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        """The task's log for one try, as text; includes what the triggerer logged for it."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        payload = self._request("GET", path, params={"full_content": True})
        return _log_content_to_text(payload["content"])

    def extra_links(self, dag_id: str, run_id: str, task_id: str) -> dict[str, str | None]:
        """The operator extra links of a task instance: link name to URL (``None`` if unset)."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links"
        return dict(self._request("GET", path)["extra_links"])

    def wait_for_deferral(
        self, dag_id: str, run_id: str, task_id: str, *, timeout: float = 120.0
    ) -> Deferral:
        """Wait until the task instance is ``deferred`` with its trigger held by a triggerer.

        Fails if the task instance reaches a terminal state first, i.e. never deferred.
        """

        def deferral() -> Deferral | None:
            self._assert_all_alive()
            ti = self.task_instance(dag_id, run_id, task_id)
            if ti["state"] in TERMINAL_TI_STATES:
                raise ClusterError(f"{task_id} ended {ti['state']} without being seen deferred")
            trigger = ti.get("trigger")
            if ti["state"] != "deferred" or not trigger or trigger["triggerer_id"] is None:
                return None
            return Deferral(trigger["id"], trigger["classpath"], trigger["triggerer_id"])

        return poll(deferral, timeout=timeout, interval=0.25, describe=f"{task_id} to be deferred")

    def trigger_logs(
        self, dag_id: str, run_id: str, task_id: str, *, try_number: int = 1, map_index: int = -1
    ) -> dict[int, str]:
        """What triggerer processes logged for one try of a task, keyed by triggerer job id.

        Each triggerer writes the log of the triggers it runs next to the task's own log, in
        ``attempt=<try>.log.trigger.<triggerer job id>.log``; the file only exists if that
        triggerer process really picked the trigger up.
        """
        folder = self.task_log_dir / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        if map_index >= 0:
            folder = folder / f"map_index={map_index}"
        logs = {}
        for path in folder.glob(f"attempt={try_number}.log.trigger.*.log"):
            job_id = int(path.name.removesuffix(".log").rsplit(".", 1)[-1])
            logs[job_id] = path.read_text(errors="replace")
        return logs

    def wait_for_trigger_log(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        *,
        triggerer_job_id: int,
        needle: str,
        try_number: int = 1,
        timeout: float = 60.0,
    ) -> str:
        """Wait until triggerer ``triggerer_job_id`` logged ``needle`` for a task's trigger."""

        def log_with_needle() -> str | None:
            self._assert_all_alive()
            logs = self.trigger_logs(dag_id, run_id, task_id, try_number=try_number)
            text = logs.get(triggerer_job_id, "")
            return text if needle in text else None

        return poll(
            log_with_needle,
            timeout=timeout,
            interval=0.25,
            describe=f"triggerer job {triggerer_job_id} to log {needle!r} for {task_id}",
        )

    def run_log_files(self, dag_id: str, run_id: str) -> dict[str, str]:
        """Every task and trigger log file of a run, keyed by its path inside the run's folder.

        Read from disk (all components share the cluster's ``AIRFLOW_HOME``), so it holds every
        try of every task, and what each triggerer process logged for them.
        """
        folder = self.task_log_dir / f"dag_id={dag_id}" / f"run_id={run_id}"
        return {
            str(path.relative_to(folder)): path.read_text(errors="replace")
            for path in sorted(folder.rglob("*.log"))
        }

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """The deserialized value of one XCom."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self._request("GET", path, params={"deserialize": True})["value"]

    def asset_events(
        self, *, source_dag_id: str | None = None, source_run_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Asset events, oldest first, optionally only those emitted by one DAG or run."""
        params: dict[str, Any] = {"limit": 100, "order_by": "timestamp"}
        if source_dag_id:
            params["source_dag_id"] = source_dag_id
        if source_run_id:
            params["source_run_id"] = source_run_id
        return self._get_asset_events("/assets/events", params)

    def upstream_asset_events(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The asset events that triggered (were consumed by) an asset-triggered run."""
        return self._get_asset_events(f"/dags/{dag_id}/dagRuns/{run_id}/upstreamAssetEvents")

    def create_backfill(
        self,
        dag_id: str,
        from_date: datetime,
        to_date: datetime,
        *,
        reprocess_behavior: str = "none",
        max_active_runs: int = 3,
        conf: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a backfill over ``[from_date, to_date]`` (logical dates, inclusive)."""
        body = {
            "dag_id": dag_id,
            "from_date": _isoformat(from_date),
            "to_date": _isoformat(to_date),
            "reprocess_behavior": reprocess_behavior,
            "max_active_runs": max_active_runs,
            "dag_run_conf": dict(conf or {}),
        }
        return dict(self._request("POST", "/backfills", json=body, retry_busy=_WRITE_RETRIES))

    def backfill(self, backfill_id: int) -> dict[str, Any]:
        return dict(self._request("GET", f"/backfills/{backfill_id}"))

    def wait_for_backfill(self, backfill_id: int, *, timeout: float = 240.0) -> dict[str, Any]:
        """Wait until the scheduler marks the backfill completed."""

        def completed() -> dict[str, Any] | None:
            self._assert_all_alive()
            backfill = self.backfill(backfill_id)
            return backfill if backfill["completed_at"] else None

        return poll(completed, timeout=timeout, interval=1.0, describe=f"backfill {backfill_id}")

    def clear_dag_run(self, dag_id: str, run_id: str) -> None:
        """Clear every task instance of a run so that the scheduler runs it again."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/clear"
        self._request("POST", path, json={"dry_run": False}, retry_busy=_WRITE_RETRIES)

    def set_task_instance_state(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        """Mark a task instance ``failed``, ``success`` or ``skipped``, as a user would.

        A running task is then stopped by its supervisor; a deferred one loses its trigger,
        which the triggerer cancels (and, on Airflow 3.3, asks to clean up with ``on_kill``).
        """
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
        self._request("PATCH", path, json={"new_state": state}, retry_busy=_WRITE_RETRIES)

    # ------------------------------------------------------------------ logs

    def component_log(self, component: str) -> str:
        """Everything a component wrote to stdout/stderr since the cluster started."""
        return (self.component_log_dir / f"{component}.log").read_text(errors="replace")

    def collect_logs(self) -> str:
        """Tails of every component log and task log, for failure reports."""
        sections = [f"AIRFLOW_HOME={self.home} topology={self.topology.name}"]
        for path in sorted(self.component_log_dir.glob("*.log")):
            sections.append(f"----- {path.name} (tail) -----\n{_tail(path)}")
        for path in sorted(self.task_log_dir.rglob("attempt=*.log")):
            relative = path.relative_to(self.task_log_dir)
            sections.append(f"----- task log {relative} (tail) -----\n{_tail(path, 4000)}")
        return "\n".join(sections)


def _decoded(method: str, path: str, response: httpx.Response) -> Any:
    """The JSON body of a successful answer (``None`` if empty); an error answer raises."""
    if response.is_error:
        raise ClusterError(f"{method} {path} -> {response.status_code}: {response.text[:2000]}")
    return response.json() if response.content else None


def _refused_by_busy_database(response: httpx.Response) -> bool:
    """Whether the API server refused a write because the database was busy.

    On SQLite a write fails with "database is locked" while the scheduler holds the lock. The
    backfill endpoint answers that with 503; the other endpoints answer 500 "Database error".
    Either way the request's transaction was rolled back (the audit-log row, committed before
    the endpoint runs, is all that was written), so repeating the request is safe.
    """
    if response.status_code == 503:
        return True
    return response.status_code == 500 and "Database error" in response.text


def _log_content_to_text(content: Iterable[Any]) -> str:
    """Flatten the structured log lines the API returns into plain text."""
    lines = []
    for item in content:
        if isinstance(item, dict):
            extras = {k: v for k, v in item.items() if k not in ("event", "timestamp", "level")}
            lines.append(f"{item.get('timestamp', '')} {item.get('event', '')} {extras}")
        else:
            lines.append(str(item))
    return "\n".join(lines)
