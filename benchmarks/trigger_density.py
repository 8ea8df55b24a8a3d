"""P3 and P3v: many tuning-job triggers polling on one event loop, as in one triggerer process.

Starts the emulator in a child process and submits slow tuning jobs: Gemini tuned
models (P3, ``--backend gemini``) or Vertex AI tuning jobs (P3v, ``--backend
vertex``). Then, each in a fresh child process, the two side by side (so that
both meet the same load from the rest of the machine), for ``--seconds`` after a
warm-up:

* ours: N ``TuningJobTrigger`` coroutines of the backend's hook class polling
  every second through the provider's shared async client (connection read from
  ``AIRFLOW_CONN_...``; Vertex AI with a service-account key and OAuth tokens);
* the anchor: N coroutines doing the same GETs (``tunedModels/*`` or
  ``projects/*/locations/*/tuningJobs/*``, with the same credentials) through one
  plain ``httpx.AsyncClient`` capped at 32 requests in flight (a semaphore) with
  32 kept-alive connections, reading each answer's JSON.

Figures: status polls per second, CPU per poll, event-loop lag p99 (how late a
coroutine sleeping 50 ms wakes up; the full garbage collections behind the worst
pauses are counted too) against the anchor's and against a 100 ms ceiling,
resident memory over the child's baseline against a 50 MiB ceiling, and the TCP
connections opened per 100 polls/s of throughput. The degradation check runs
ours with ``--more`` triggers beside ours with N (``--more 0`` skips it):
throughput must not collapse and CPU per poll must not grow.

    .venv/bin/python benchmarks/trigger_density.py [--backend gemini|vertex]
        [--triggers 1000] [--more 2000] [--seconds 20] [--quick] [--json]

``--quick`` (the smoke run) runs the three children of both comparisons side by side in one
round.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, LoopLag, child_environment, emit, percentile, tuned_model_body

POLL_INTERVAL = 1.0
#: Requests in flight and connections of the anchor client.
ANCHOR_CAP = 32
#: Seconds between samples of the open connections (each sample scans the socket table).
CONNECTION_SAMPLE_INTERVAL = 2.0
#: Ceilings that hold whatever the anchor does: loop lag p99 and memory over baseline.
LAG_CEILING_MS = 100.0
MEMORY_CEILING_MIB = 50.0
#: Where the Vertex AI tuning jobs run, and the dataset they tune on.
VERTEX_PROJECT = "emulator-project"
VERTEX_LOCATION = "us-central1"
VERTEX_DATASET = "gs://benchmark-data/train.jsonl"


# --- the child processes ------------------------------------------------------------------------


class Ours:
    """N ``TuningJobTrigger`` coroutines; polls are counted where the client completes them."""

    def __init__(self, setup: dict[str, Any]) -> None:
        from airflow_provider_tunedmodels.core.http import AsyncRestClient

        os.environ[f"AIRFLOW_CONN_{setup['conn_id'].upper()}"] = json.dumps(setup["connection"])
        self.setup = setup
        self.polls = 0
        self.polled = asyncio.Event()
        execute = AsyncRestClient.execute

        async def counting_execute(client: Any, call: Any) -> Any:
            result = await execute(client, call)
            self.polls += 1
            self.polled.set()
            return result

        AsyncRestClient.execute = counting_execute  # type: ignore[method-assign]

    def start(self, names: list[str]) -> list[asyncio.Future[Any]]:
        from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

        end_time = time.time() + 3600
        triggers = [
            TuningJobTrigger(
                job_name=name,
                conn_id=self.setup["conn_id"],
                hook_class_path=self.setup["hook_class_path"],
                poll_interval=POLL_INTERVAL,
                end_time=end_time,
            )
            for name in names
        ]
        return [asyncio.ensure_future(anext(trigger.run())) for trigger in triggers]


class Anchor:
    """N coroutines polling the same URLs through one plain httpx client, capped."""

    def __init__(self, setup: dict[str, Any]) -> None:
        import httpx

        self.api_root = setup["api_root"]
        self.polls = 0
        self.polled = asyncio.Event()
        self.client = httpx.AsyncClient(
            headers=setup["anchor_headers"],
            limits=httpx.Limits(max_connections=ANCHOR_CAP, max_keepalive_connections=ANCHOR_CAP),
            timeout=60.0,
        )
        self.slots = asyncio.Semaphore(ANCHOR_CAP)

    def start(self, names: list[str]) -> list[asyncio.Future[Any]]:
        return [asyncio.ensure_future(self.poll(name)) for name in names]

    async def poll(self, name: str) -> None:
        while True:
            async with self.slots:
                response = await self.client.get(f"{self.api_root}/{name}")
            response.raise_for_status()
            response.json()
            self.polls += 1
            self.polled.set()
            await asyncio.sleep(POLL_INTERVAL)


async def warm_up(pollers: Ours | Anchor, name: str) -> asyncio.Future[Any]:
    """One poller until its first poll: the imports and the client are then in place.

    Returns the poller, to be stopped once the others run (so the client stays open).
    """
    (task,) = pollers.start([name])
    await pollers.polled.wait()
    return task


class FullCollections:
    """Records how long each full (generation 2) garbage collection pauses the process."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._observe)

    def stop(self) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def count_new_connections(loop: asyncio.AbstractEventLoop) -> dict[str, int]:
    """Count the TCP connections ``loop`` opens from now on (httpx opens them through it)."""
    counter = {"count": 0}
    create_connection = loop.create_connection

    async def counting(*args: Any, **kwargs: Any) -> Any:
        counter["count"] += 1
        return await create_connection(*args, **kwargs)

    loop.create_connection = counting  # type: ignore[method-assign]
    return counter


async def child(
    variant: str,
    setup: dict[str, Any],
    count: int,
    warm_up_seconds: float,
    seconds: float,
) -> dict[str, float]:
    """Run ``variant`` with one poller per name; measure after ``warm_up_seconds``."""
    # Both contenders import the same modules, as both would live in a triggerer, so both
    # start with the same heap; ours keeps it out of full garbage collections while its
    # triggers wait (core/heap.py), the plain client does not.
    import httpx  # noqa: F401
    import psutil

    import airflow_provider_tunedmodels.triggers.tuned_model  # noqa: F401

    importlib.import_module(setup["hook_class_path"].rpartition(".")[0])
    names = setup["names"][:count]
    process = psutil.Process()
    port = int(setup["api_root"].split("/")[2].rsplit(":", 1)[1])
    opened = count_new_connections(asyncio.get_running_loop())
    pollers = Ours(setup) if variant == "ours" else Anchor(setup)
    first = await warm_up(pollers, names[0])
    baseline = process.memory_info().rss
    tasks = pollers.start(names)
    first.cancel()
    await asyncio.sleep(warm_up_seconds)
    collections = FullCollections()
    lag = LoopLag(pauses=lambda: len(collections.pauses))
    lag.start()
    polls_before, cpu_before, started = pollers.polls, time.process_time(), time.perf_counter()
    most_connections, sampling_cpu = 0, 0.0
    while (remaining := started + seconds - time.perf_counter()) > 0:
        await asyncio.sleep(min(CONNECTION_SAMPLE_INTERVAL, remaining))
        sample_started = time.process_time()
        open_now = sum(
            1
            for c in process.net_connections("tcp")
            if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
        )
        most_connections = max(most_connections, open_now)
        sampling_cpu += time.process_time() - sample_started
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_before - sampling_cpu
    polls = pollers.polls - polls_before
    memory = (process.memory_info().rss - baseline) / 2**20
    collections.stop()
    await lag.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "polls_per_second": polls / elapsed,
        "cores_used": cpu / elapsed,
        "cpu_ms_per_poll": 1000 * cpu / polls if polls else float("nan"),
        "lag_p99_ms": 1000 * percentile(lag.samples, 0.99),
        "unpaused_lag_p99_ms": 1000 * percentile(lag.unpaused, 0.99),
        "full_collections": float(len(collections.pauses)),
        "longest_collection_ms": 1000 * max(collections.pauses, default=0.0),
        "memory_mib": memory,
        "most_connections": float(most_connections),
        "opened_connections": float(opened["count"]),
    }


# --- the parent ---------------------------------------------------------------------------------


async def gemini_setup(emulator: Any, count: int) -> dict[str, Any]:
    """Create ``count`` Gemini tuned models whose tuning outlasts the benchmark."""
    from airflow_provider_tunedmodels.core.settings import ClientSettings
    from airflow_provider_tunedmodels.defaults import GEMINI_CONN_ID
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
    from airflow_provider_tunedmodels.triggers.tuning_job import GEMINI_HOOK_CLASS_PATH

    base_url, api_key = emulator.base_url, emulator.api_key
    hook = GeminiTunedModelsHook(
        settings=ClientSettings(base_url=base_url, api_version="v1beta", api_key=api_key)
    )
    body = tuned_model_body()
    try:
        await asyncio.gather(
            *(hook.acreate_tuned_model(body, tuned_model_id=f"poll-{n}") for n in range(count))
        )
    finally:
        await hook.aclose()
    return {
        "names": [f"tunedModels/poll-{n}" for n in range(count)],
        "conn_id": GEMINI_CONN_ID,
        "hook_class_path": GEMINI_HOOK_CLASS_PATH,
        "connection": {"conn_type": "gemini_tuned_models", "host": base_url, "password": api_key},
        "api_root": f"{base_url}/v1beta",
        "anchor_headers": {"x-goog-api-key": api_key},
    }


async def vertex_setup(emulator: Any, count: int) -> dict[str, Any]:
    """Create ``count`` Vertex AI tuning jobs that stay unfinished during the benchmark.

    Ours authenticates with a service-account key of the emulator's and fetches its
    own OAuth token; the anchor sends a token fetched here the same way.
    """
    from airflow_provider_tunedmodels.core.settings import ClientSettings
    from airflow_provider_tunedmodels.defaults import VERTEX_CONN_ID
    from airflow_provider_tunedmodels.hooks.vertex_ai import VertexTuningJobsHook

    key = emulator.service_account_info()
    examples = [
        {
            "contents": [
                {"role": "user", "parts": [{"text": f"question {n}"}]},
                {"role": "model", "parts": [{"text": f"answer {n % 5}"}]},
            ]
        }
        for n in range(20)
    ]
    emulator.put_object(VERTEX_DATASET, "\n".join(json.dumps(line) for line in examples))
    hook = VertexTuningJobsHook(
        settings=ClientSettings(
            base_url=emulator.base_url,
            service_account_info=key,
            project=VERTEX_PROJECT,
            location=VERTEX_LOCATION,
            api_version="v1",
        )
    )
    body = {
        "baseModel": "gemini-2.5-flash",
        "tunedModelDisplayName": "benchmark model",
        "supervisedTuningSpec": {
            "trainingDatasetUri": VERTEX_DATASET,
            "hyperParameters": {"epochCount": 5},
        },
    }
    try:
        jobs = await asyncio.gather(*(hook.acreate_tuning_job(body) for _ in range(count)))
        client = await hook.aget_client()
        headers = dict(await client.auth.aheaders())
    finally:
        await hook.aclose()
    return {
        "names": [str(job.name) for job in jobs],
        "conn_id": VERTEX_CONN_ID,
        "hook_class_path": (
            f"{VertexTuningJobsHook.__module__}.{VertexTuningJobsHook.__qualname__}"
        ),
        "connection": {
            "conn_type": "vertex_ai_tuning",
            "host": emulator.base_url,
            "extra": {
                "project": VERTEX_PROJECT,
                "location": VERTEX_LOCATION,
                "keyfile_dict": key,
            },
        },
        "api_root": f"{emulator.base_url}/v1",
        "anchor_headers": headers,
    }


def run_together(
    contenders: list[tuple[str, int]],
    setup_file: Path,
    warm_up: float,
    seconds: float,
) -> list[dict[str, float]]:
    """Run each ``(variant, count)`` in its own child process, all at the same time.

    Side by side, the contenders share whatever else loads the machine, so their
    figures stay comparable on a busy one.
    """
    env = {**child_environment(), "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                variant,
                str(setup_file),
                str(count),
                str(warm_up),
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for variant, count in contenders
    ]
    results = []
    for (variant, _), child in zip(contenders, children, strict=True):
        stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"{variant} child failed:\n{stderr[-2000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def measure(
    backend: str, triggers: int, more: int, warm_up: float, seconds: float, one_round: bool
) -> list[Figure]:
    """Ours against the anchor, then ours with ``more`` triggers against ours with ``triggers``.

    ``one_round`` runs all three children side by side at once (a smoke run's shortcut: three
    processes share the cores, so the figures are less comparable with a full run's).
    """
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with (
        run_emulator(step_seconds=60, subprocess=True) as emulator,
        tempfile.TemporaryDirectory() as scratch,
    ):
        make_setup = vertex_setup if backend == "vertex" else gemini_setup
        setup = asyncio.run(make_setup(emulator, max(triggers, more)))
        setup_file = Path(scratch) / "setup.json"
        setup_file.write_text(json.dumps(setup))
        degradation: tuple[dict[str, float], dict[str, float]] | None = None
        if more and one_round:
            ours, anchor, most = run_together(
                [("ours", triggers), ("anchor", triggers), ("ours", more)],
                setup_file,
                warm_up,
                seconds,
            )
            degradation = (ours, most)
        else:
            ours, anchor = run_together(
                [("ours", triggers), ("anchor", triggers)], setup_file, warm_up, seconds
            )
            if more:
                fewer, most = run_together(
                    [("ours", triggers), ("ours", more)], setup_file, warm_up, seconds
                )
                degradation = (fewer, most)
    resource = "tuning jobs" if backend == "vertex" else "tuned models"
    anchor_name = f"plain httpx client capped at {ANCHOR_CAP} in flight, {triggers} pollers"
    window = (
        f"{triggers} triggers on {resource} polling every {POLL_INTERVAL:g} s, "
        f"{seconds:g} s measured"
    )
    figures = [
        Figure(
            "status polls per second",
            ours["polls_per_second"],
            anchor["polls_per_second"],
            "/s",
            anchor_name,
            ">= 0.90",
            note=(
                f"{window}; CPU used: ours {ours['cores_used']:.2f} of a core, anchor "
                f"{anchor['cores_used']:.2f}"
            ),
        ),
        Figure(
            "CPU per poll",
            ours["cpu_ms_per_poll"],
            anchor["cpu_ms_per_poll"],
            "ms",
            anchor_name,
            "<= 1.20",
        ),
        Figure(
            "event-loop lag p99",
            ours["lag_p99_ms"],
            anchor["lag_p99_ms"],
            "ms",
            anchor_name,
            "<= 1.50",
            note=(
                f"full garbage collections: ours {ours['full_collections']:.0f} (longest "
                f"{ours['longest_collection_ms']:.0f} ms), anchor {anchor['full_collections']:.0f} "
                f"(longest {anchor['longest_collection_ms']:.0f} ms); the more polls, the more "
                "garbage, the more full collections, each pausing the whole process"
            ),
        ),
        Figure(
            "event-loop lag p99 against its ceiling",
            ours["lag_p99_ms"],
            LAG_CEILING_MS,
            "ms",
            f"{LAG_CEILING_MS:g} ms",
            "<= 1.00",
            note=f"anchor's: {anchor['lag_p99_ms']:.0f} ms",
        ),
        Figure(
            "event-loop lag p99 outside full garbage collections",
            ours["unpaused_lag_p99_ms"],
            anchor["unpaused_lag_p99_ms"],
            "ms",
            anchor_name,
            "<= 1.50",
            note="what the pollers' own work costs the loop",
        ),
        Figure(
            "memory over baseline",
            ours["memory_mib"],
            MEMORY_CEILING_MIB,
            "MiB",
            f"{MEMORY_CEILING_MIB:g} MiB",
            "<= 1.00",
            note=f"anchor's: {anchor['memory_mib']:.1f} MiB",
        ),
        Figure(
            "TCP connections opened per 100 polls/s",
            100 * ours["opened_connections"] / ours["polls_per_second"],
            100 * anchor["opened_connections"] / anchor["polls_per_second"],
            "",
            anchor_name,
            "<= 1.10",
            note=(
                "warm-up included; a client serving more polls at once needs more connections "
                f"(Little's law). Opened: ours {ours['opened_connections']:.0f}, anchor "
                f"{anchor['opened_connections']:.0f}; most established at once: ours "
                f"{ours['most_connections']:.0f}, anchor {anchor['most_connections']:.0f}"
            ),
        ),
    ]
    if degradation is not None:
        figures += degradation_figures(triggers, more, *degradation)
    return figures


def degradation_figures(
    triggers: int, more: int, fewer: dict[str, float], most: dict[str, float]
) -> list[Figure]:
    """Ours with ``more`` triggers against ours with ``triggers``."""
    return [
        Figure(
            f"status polls per second with {more} triggers",
            most["polls_per_second"],
            fewer["polls_per_second"],
            "/s",
            f"ours with {triggers} triggers",
            ">= 0.90",
            note=(
                "degradation check: throughput must not collapse; on a shared machine it "
                f"follows the CPU the process gets: {most['cores_used']:.2f} of a core "
                f"with {more}, {fewer['cores_used']:.2f} with {triggers}"
            ),
        ),
        Figure(
            f"CPU per poll with {more} triggers",
            most["cpu_ms_per_poll"],
            fewer["cpu_ms_per_poll"],
            "ms",
            f"ours with {triggers} triggers",
            "<= 1.25",
            note=f"event-loop lag p99 with {more} triggers: {most['lag_p99_ms']:.0f} ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("gemini", "vertex"), default="gemini")
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--more", type=int, default=2000, help="triggers of the degradation check")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument(
        "--quick", action="store_true", help="100 and 200 triggers, 2 s, all in one round"
    )
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="trigger-density-"))
    if args.child:
        variant, setup_file, count, warm_up, seconds = args.child
        setup = json.loads(Path(setup_file).read_text())
        result = asyncio.run(child(variant, setup, int(count), float(warm_up), float(seconds)))
        print(json.dumps(result))
        return
    if args.quick:
        args.triggers, args.more, args.seconds, args.warm_up = 100, 200, 2.0, 1.0
    figures = measure(
        args.backend, args.triggers, args.more, args.warm_up, args.seconds, one_round=args.quick
    )
    key = "P3v" if args.backend == "vertex" else "P3"
    resource = "Vertex AI tuning-job" if args.backend == "vertex" else "tuned-model"
    emit(
        f"{key} trigger density ({args.triggers} {resource} triggers on one event loop)",
        figures,
        args.json,
    )


if __name__ == "__main__":
    main()
