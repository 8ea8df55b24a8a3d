"""External services used by the ``celery`` topology: a PostgreSQL database and a Redis db.

Both are provisioned per cluster and removed afterwards, so test runs never see each other's
state, and nothing but 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379

# Redis db indexes this suite may claim; 0 is left alone because other tools default to it.
REDIS_CANDIDATE_DBS = tuple(range(15, 7, -1))
_REDIS_LOCK_KEY = "airflow-provider-tunedmodels:e2e:owner"
_REDIS_LOCK_TTL_SECONDS = 2 * 3600


class BackendUnavailableError(RuntimeError):
    """A service the topology needs cannot be reached or used."""


def _port_open(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def celery_backends_unavailable_reason() -> str | None:
    """Return why the celery topology cannot run here, or ``None`` when it can."""
    problems = []
    if not _port_open(POSTGRES_HOST, POSTGRES_PORT):
        problems.append(f"PostgreSQL is not reachable on {POSTGRES_HOST}:{POSTGRES_PORT}")
    if not _port_open(REDIS_HOST, REDIS_PORT):
        problems.append(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}")
    if problems:
        return "; ".join(problems)
    try:
        import psycopg2  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        return f"a client library is missing ({exc.name}); install the production-topology extra"
    return None


CELERY_EXECUTOR_MODULE = "airflow.providers.celery.executors.celery_executor"


def celery_executor_import_error() -> str | None:
    """Return why the Celery executor cannot be imported here, or ``None`` when it can.

    Checked in a subprocess with a throwaway ``AIRFLOW_HOME``, so this process's Airflow
    configuration is left alone. A failure here is a broken installation (e.g. a Celery release
    the provider does not support yet), never a reason to skip.
    """
    with tempfile.TemporaryDirectory(prefix="airflow-e2e-import-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env["AIRFLOW_HOME"] = home
        result = subprocess.run(
            [sys.executable, "-c", f"import {CELERY_EXECUTOR_MODULE}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if result.returncode == 0:
        return None
    last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
    return f"cannot import {CELERY_EXECUTOR_MODULE}: {last_line}"


@dataclass
class PostgresDatabase:
    """A fresh, uniquely named PostgreSQL database that :meth:`drop` removes again."""

    name: str = field(default_factory=lambda: f"tunedmodels_e2e_{uuid.uuid4().hex[:12]}")
    created: bool = False

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{self.name}"

    def _admin_execute(self, statement: str) -> None:
        import psycopg2  # lazily, like redis: only the celery topology needs it

        try:
            connection = psycopg2.connect(
                host=POSTGRES_HOST,
                port=POSTGRES_PORT,
                user=POSTGRES_USER,
                dbname="postgres",
                connect_timeout=5,
            )
        except psycopg2.OperationalError as exc:
            raise BackendUnavailableError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def create(self) -> None:
        self._admin_execute(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def drop(self) -> None:
        if self.created:
            self._admin_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False


@dataclass
class RedisDatabase:
    """A Redis db index claimed for one cluster, flushed before use and after.

    A db is claimed with an expiring owner key set only if absent, so two test runs on the same
    machine never share (or flush) one another's broker queues.
    """

    index: int | None = None
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def url(self) -> str:
        if self.index is None:
            raise RuntimeError("claim() the Redis database first")
        return f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.index}"

    @staticmethod
    def _client(index: int) -> redis.Redis:
        # Imported lazily: the local topology must run without the Redis client installed.
        import redis

        return redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=index, socket_timeout=5)

    def claim(self) -> None:
        import redis

        for index in REDIS_CANDIDATE_DBS:
            try:
                client = self._client(index)
                claimed = client.set(
                    _REDIS_LOCK_KEY, self.owner, nx=True, ex=_REDIS_LOCK_TTL_SECONDS
                )
            except redis.RedisError as exc:
                raise BackendUnavailableError(f"cannot use Redis: {exc}") from exc
            if claimed:
                self.index = index
                self._flush_keeping_claim(client)
                return
        raise BackendUnavailableError(
            f"every Redis db in {REDIS_CANDIDATE_DBS} is claimed by another test run"
        )

    def _flush_keeping_claim(self, client: redis.Redis) -> None:
        client.flushdb()
        client.set(_REDIS_LOCK_KEY, self.owner, ex=_REDIS_LOCK_TTL_SECONDS)

    def release(self) -> None:
        if self.index is None:
            return
        client = self._client(self.index)
        if client.get(_REDIS_LOCK_KEY) == self.owner.encode():
            client.flushdb()
        self.index = None
