"""Start and drive an emulator from tests.

::

    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with run_emulator(step_seconds=0.005) as emulator:
        httpx.get(f"{emulator.base_url}/v1beta/tunedModels",
                  headers={"x-goog-api-key": emulator.api_key})

The server listens on a free loopback port, in a background thread (default)
or in a child process (``subprocess=True``), and is stopped on exit. Faults
given as keywords (see :func:`.faults.rules_from_kwargs`) are active from the
start; :meth:`RunningEmulator.set_faults` changes them later. Control calls go
through the HTTP control API, so they work the same in both modes.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import selectors
import ssl
import subprocess as _subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from airflow_provider_tunedmodels.emulator.auth import DEFAULT_USER_EMAIL
from airflow_provider_tunedmodels.emulator.config import DEFAULT_CONCURRENT_TUNING_JOBS
from airflow_provider_tunedmodels.emulator.faults import FaultRule, rules_from_kwargs

__all__ = ["DEFAULT_SERVICE_ACCOUNT", "RunningEmulator", "run_emulator"]


#: Service account used by :meth:`RunningEmulator.service_account_info` by default.
DEFAULT_SERVICE_ACCOUNT = "tuner@emulator-project.iam.gserviceaccount.com"
_START_TIMEOUT = 30.0


@dataclass
class RunningEmulator:
    """A running emulator and the credentials to use it."""

    #: Root URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash, no version).
    base_url: str
    #: A valid API key of the default user.
    api_key: str
    #: The OAuth2 token endpoint, ``{base_url}/token``.
    token_uri: str
    _service_accounts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _http: httpx.Client | None = field(default=None, repr=False)

    def _control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        if self._http is None:
            self._http = _loopback_client()
        response = self._http.request(method, f"{self.base_url}/_emulator/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Release the connection used for control calls (done by :func:`run_emulator`)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def service_account_info(self, email: str = DEFAULT_SERVICE_ACCOUNT) -> dict[str, Any]:
        """A service-account key JSON for ``email`` whose key the emulator trusts.

        Usable with ``google.oauth2.service_account.Credentials.from_service_account_info``;
        its ``token_uri`` is this emulator's token endpoint. The same email always
        gets the same key from one :class:`RunningEmulator`.
        """
        info = self._service_accounts.get(email)
        if info is None:
            info = self._control("POST", "serviceAccounts", {"email": email})
            self._service_accounts[email] = info
        return dict(info)

    def add_api_key(self, email: str, key: str | None = None) -> str:
        """Accept a new API key for the user ``email``; return the key."""
        body: dict[str, Any] = {"email": email}
        if key is not None:
            body["key"] = key
        return str(self._control("POST", "apiKeys", body)["key"])

    def set_faults(
        self,
        *rules: FaultRule | Mapping[str, Any],
        seed: int | None = None,
        **shorthand: Any,
    ) -> None:
        """Replace the fault rules: explicit ``rules`` plus keyword shorthands.

        Shorthands (global, every route): ``rate_429``, ``rate_500``, ``rate_503``,
        ``rate_drop``, ``rate_tuning_failure``, ``rate_dataset_failure``,
        ``rate_expiry``, ``latency`` (seconds added to every request) and
        ``retry_after`` (the ``Retry-After`` of the ``rate_429`` rule).
        Per-route rules are :class:`~.faults.FaultRule` objects or their dict form.
        ``seed`` restarts the fault generators from that seed.
        """
        configured = rules_from_kwargs(rules=rules, **shorthand)
        body: dict[str, Any] = {"rules": [rule.to_json() for rule in configured]}
        if seed is not None:
            body["seed"] = seed
        self._control("PUT", "faults", body)

    def reset_faults(self) -> None:
        """Remove every fault rule."""
        self._control("DELETE", "faults")

    def reset(self) -> None:
        """Forget every resource of every API (models, jobs, objects...) and every fault."""
        self._control("POST", "reset")

    def put_object(self, uri: str, data: bytes | str) -> None:
        """Store a Cloud Storage object, e.g. a tuning dataset ``gs://bucket/train.jsonl``."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self._control("PUT", "objects", {"uri": uri, "base64": base64.b64encode(raw).decode()})


def _loopback_client() -> httpx.Client:
    # Plain HTTP on loopback: no proxies from the environment, and a TLS context
    # without any trusted CA (cheap to build; TLS is never used here).
    return httpx.Client(
        timeout=30.0, trust_env=False, verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    )


def _wait_until_healthy(base_url: str, deadline: float) -> None:
    with _loopback_client() as client:
        while True:
            try:
                if client.get(f"{base_url}/_emulator/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"emulator at {base_url} did not become healthy")
            time.sleep(0.02)


@dataclass(frozen=True)
class _Launch:
    """How :func:`run_emulator` starts the server, in a thread or in a process."""

    step_seconds: float
    api_key: str
    token_lifetime: float
    seed: int
    state_file: str | None
    concurrent_tuning_jobs: int


@contextmanager
def _in_thread(launch: _Launch) -> Iterator[str]:
    from airflow_provider_tunedmodels.emulator.app import EmulatorApp
    from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
    from airflow_provider_tunedmodels.emulator.server import ServerThread, bind_socket

    config = EmulatorConfig(
        step_seconds=launch.step_seconds,
        api_keys={launch.api_key: DEFAULT_USER_EMAIL},
        token_lifetime=launch.token_lifetime,
        state_file=launch.state_file,
        seed=launch.seed,
        concurrent_tuning_jobs=launch.concurrent_tuning_jobs,
    )
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    thread = ServerThread(EmulatorApp(config), sock)
    thread.start(_START_TIMEOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        thread.stop()


@contextmanager
def _in_subprocess(launch: _Launch) -> Iterator[str]:
    from airflow_provider_tunedmodels.emulator.__main__ import API_KEYS_ENV, READY_PREFIX

    command = [
        sys.executable,
        "-m",
        "airflow_provider_tunedmodels.emulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--step-seconds",
        repr(launch.step_seconds),
        "--token-lifetime",
        repr(launch.token_lifetime),
        "--seed",
        str(launch.seed),
        "--concurrent-tuning-jobs",
        str(launch.concurrent_tuning_jobs),
        "--log-level",
        "warning",
    ]
    if launch.state_file is not None:
        command += ["--state-file", launch.state_file]
    env = {**os.environ, API_KEYS_ENV: f"{launch.api_key}={DEFAULT_USER_EMAIL}"}
    process = _subprocess.Popen(command, stdout=_subprocess.PIPE, env=env, text=True)
    try:
        line = _read_ready_line(process, time.monotonic() + _START_TIMEOUT)
        match = re.search(re.escape(READY_PREFIX) + r"(http://\S+)", line)
        if match is None:
            raise RuntimeError(f"emulator process did not start: {line!r}")
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except _subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


def _read_ready_line(process: _subprocess.Popen[str], deadline: float) -> str:
    stdout = process.stdout
    if stdout is None:
        raise RuntimeError("emulator process has no stdout")
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                return stdout.readline()
            if process.poll() is not None:
                raise RuntimeError(f"emulator process exited with code {process.returncode}")
    raise RuntimeError("emulator process did not announce its address in time")


@contextmanager
def run_emulator(
    *,
    step_seconds: float = 0.01,
    api_key: str | None = None,
    token_lifetime: float = 3600,
    seed: int = 0,
    state_file: str | None = None,
    subprocess: bool = False,
    concurrent_tuning_jobs: int = DEFAULT_CONCURRENT_TUNING_JOBS,
    **faults: Any,
) -> Iterator[RunningEmulator]:
    """Run an emulator on a free loopback port for the duration of the ``with`` block.

    ``api_key`` defaults to a fresh random key. ``concurrent_tuning_jobs`` is the
    Vertex AI quota of tuning jobs running at once per project (0: no limit).
    ``faults`` are the keyword shorthands of :meth:`RunningEmulator.set_faults`
    (``rules=[...]`` included).
    """
    initial_rules = rules_from_kwargs(**faults)
    key = api_key or "emulator-" + secrets.token_urlsafe(24)
    runner = _in_subprocess if subprocess else _in_thread
    launch = _Launch(step_seconds, key, token_lifetime, seed, state_file, concurrent_tuning_jobs)
    with runner(launch) as base_url:
        _wait_until_healthy(base_url, time.monotonic() + _START_TIMEOUT)
        emulator = RunningEmulator(base_url=base_url, api_key=key, token_uri=f"{base_url}/token")
        try:
            if initial_rules:
                emulator.set_faults(*initial_rules)
            yield emulator
        finally:
            emulator.close()
