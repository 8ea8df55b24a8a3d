"""P3: many tuned-model triggers polling on one event loop, as in one triggerer process.

Starts the emulator in a child process and submits slow tuning jobs. Then, each
in a fresh child process, the two side by side (so that both meet the same load
from the rest of the machine), for ``--seconds`` after a warm-up:

* ours: N ``TuningJobTrigger`` coroutines polling every second through the
  provider's shared async client (connection read from ``AIRFLOW_CONN_...``);
* the anchor: N coroutines doing the same ``tunedModels.get`` polls through one
  plain ``httpx.AsyncClient`` capped at 32 requests in flight (a semaphore) with
  32 kept-alive connections.

Figures: status polls per second, CPU per poll, event-loop lag p99 (how late a
coroutine sleeping 50 ms wakes up; the full garbage collections behind the worst
pauses are counted too), resident memory over the child's baseline, and the TCP
connections opened per 100 polls/s of throughput. The degradation check runs
ours with ``--more`` triggers beside ours with N: throughput must not collapse
and CPU per poll must not grow.

    .venv/bin/python benchmarks/trigger_density.py [--triggers 1000] [--more 2000]
        [--seconds 20] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, LoopLag, child_environment, emit, percentile, tuned_model_body

CONNECTION_ENV = "AIRFLOW_CONN_GEMINI_TUNED_MODELS_DEFAULT"
POLL_INTERVAL = 1.0
#: Requests in flight and connections of the anchor client.
ANCHOR_CAP = 32
#: Seconds between samples of the open connections (each sample scans the socket table).
CONNECTION_SAMPLE_INTERVAL = 2.0


# --- the child processes ------------------------------------------------------------------------


class Ours:
    """N ``TuningJobTrigger`` coroutines; polls are counted where the client completes them."""

    def __init__(self, base_url: str, api_key: str) -> None:
        from airflow_provider_tunedmodels.core.http import AsyncRestClient

        os.environ[CONNECTION_ENV] = json.dumps(
            {"conn_type": "gemini_tuned_models", "host": base_url, "password": api_key}
        )
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
        from airflow_provider_tunedmodels.defaults import GEMINI_CONN_ID
        from airflow_provider_tunedmodels.triggers.tuning_job import TuningJobTrigger

        end_time = time.time() + 3600
        triggers = [
            TuningJobTrigger(
                job_name=name,
                conn_id=GEMINI_CONN_ID,
                poll_interval=POLL_INTERVAL,
                end_time=end_time,
            )
            for name in names
        ]
        return [asyncio.ensure_future(anext(trigger.run())) for trigger in triggers]


class Anchor:
    """N coroutines polling the same URLs through one plain httpx client, capped."""

    def __init__(self, base_url: str, api_key: str) -> None:
        import httpx

        self.base_url = base_url
        self.polls = 0
        self.polled = asyncio.Event()
        self.client = httpx.AsyncClient(
            headers={"x-goog-api-key": api_key},
            limits=httpx.Limits(max_connections=ANCHOR_CAP, max_keepalive_connections=ANCHOR_CAP),
            timeout=60.0,
        )
        self.slots = asyncio.Semaphore(ANCHOR_CAP)

    def start(self, names: list[str]) -> list[asyncio.Future[Any]]:
        return [asyncio.ensure_future(self.poll(name)) for name in names]

    async def poll(self, name: str) -> None:
        while True:
            async with self.slots:
                response = await self.client.get(f"{self.base_url}/v1beta/{name}")
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
    names: list[str],
    base_url: str,
    api_key: str,
    warm_up_seconds: float,
    seconds: float,
) -> dict[str, float]:
    """Run ``variant`` with one poller per name; measure after ``warm_up_seconds``."""
    # Both contenders import the same modules, as both would live in a triggerer: the
    # garbage collector, which pauses the loop, then walks the same heap for each.
    import httpx  # noqa: F401
    import psutil

    import airflow_provider_tunedmodels.triggers.tuned_model  # noqa: F401

    process = psutil.Process()
    port = int(base_url.rsplit(":", 1)[1])
    opened = count_new_connections(asyncio.get_running_loop())
    pollers = Ours(base_url, api_key) if variant == "ours" else Anchor(base_url, api_key)
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


async def submit_slow_jobs(base_url: str, api_key: str, count: int) -> list[str]:
    """Create ``count`` tuned models whose tuning outlasts the benchmark."""
    from airflow_provider_tunedmodels.core.settings import ClientSettings
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

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
    return [f"tunedModels/poll-{n}" for n in range(count)]


def run_together(
    contenders: list[tuple[str, int]],
    names_file: Path,
    emulator: Any,
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
                str(names_file),
                str(count),
                emulator.base_url,
                emulator.api_key,
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


def measure(triggers: int, more: int, warm_up: float, seconds: float) -> list[Figure]:
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with (
        run_emulator(step_seconds=60, subprocess=True) as emulator,
        tempfile.TemporaryDirectory() as scratch,
    ):
        names = asyncio.run(
            submit_slow_jobs(emulator.base_url, emulator.api_key, max(triggers, more))
        )
        names_file = Path(scratch) / "names.json"
        names_file.write_text(json.dumps(names))
        ours, anchor = run_together(
            [("ours", triggers), ("anchor", triggers)], names_file, emulator, warm_up, seconds
        )
        ours_fewer, ours_more = run_together(
            [("ours", triggers), ("ours", more)], names_file, emulator, warm_up, seconds
        )
    anchor_name = f"plain httpx client capped at {ANCHOR_CAP} in flight, {triggers} pollers"
    window = f"{triggers} triggers polling every {POLL_INTERVAL:g} s, {seconds:g} s measured"
    return [
        Figure(
            "status polls per second",
            ours["polls_per_second"],
            anchor["polls_per_second"],
            "/s",
            anchor_name,
            ">= 0.80",
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
            "<= 1.50",
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
            anchor["memory_mib"],
            "MiB",
            anchor_name,
            "<= 3.00",
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
        Figure(
            f"status polls per second with {more} triggers",
            ours_more["polls_per_second"],
            ours_fewer["polls_per_second"],
            "/s",
            f"ours with {triggers} triggers",
            ">= 0.90",
            note=(
                "degradation check: throughput must not collapse; on a shared machine it "
                f"follows the CPU the process gets: {ours_more['cores_used']:.2f} of a core "
                f"with {more}, {ours_fewer['cores_used']:.2f} with {triggers}"
            ),
        ),
        Figure(
            f"CPU per poll with {more} triggers",
            ours_more["cpu_ms_per_poll"],
            ours_fewer["cpu_ms_per_poll"],
            "ms",
            f"ours with {triggers} triggers",
            "<= 1.25",
            note=f"event-loop lag p99 with {more} triggers: {ours_more['lag_p99_ms']:.0f} ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--more", type=int, default=2000, help="triggers of the degradation check")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="100 and 200 triggers, 3 s")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    parser.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="trigger-density-"))
    if args.child:
        variant, names_file, count, base_url, api_key, warm_up, seconds = args.child
        names = json.loads(Path(names_file).read_text())[: int(count)]
        result = asyncio.run(
            child(variant, names, base_url, api_key, float(warm_up), float(seconds))
        )
        print(json.dumps(result))
        return
    if args.quick:
        args.triggers, args.more, args.seconds, args.warm_up = 100, 200, 3.0, 1.0
    figures = measure(args.triggers, args.more, args.warm_up, args.seconds)
    emit(f"P3 trigger density ({args.triggers} triggers on one event loop)", figures, args.json)


if __name__ == "__main__":
    main()
