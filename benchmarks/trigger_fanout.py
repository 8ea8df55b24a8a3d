"""Many tuned-model triggers waiting in one event loop, as in one triggerer process.

Starts the emulator in a child process, submits N slow tuning jobs, then runs N
``TunedModelTrigger`` coroutines on one loop for a fixed time and prints: Python
heap per waiting trigger (tracemalloc), the process's open TCP connections to
the emulator (the shared pool keeps this far below N), and polls per second.

    .venv/bin/python benchmarks/trigger_fanout.py [--triggers 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc
from typing import Any

import psutil

from airflow_provider_tunedmodels.core.settings import ClientSettings
from airflow_provider_tunedmodels.emulator.testing import run_emulator
from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.triggers import hook_pool
from airflow_provider_tunedmodels.triggers.tuned_model import TunedModelTrigger

SLOW_MODEL: dict[str, Any] = {
    "baseModel": "models/gemini-1.5-flash-001-tuning",
    "tuningTask": {
        "hyperparameters": {"epochCount": 100_000, "batchSize": 1},
        "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}},
    },
}


def connections_to(port: int) -> int:
    return sum(
        1 for c in psutil.Process().net_connections("tcp") if c.raddr and c.raddr.port == port
    )


async def run_triggers(names: list[str], seconds: float, port: int) -> dict[str, float]:
    polls = 0
    original = GeminiTunedModelsHook.aget_tuned_model

    async def counting_get(self: GeminiTunedModelsHook, name: str) -> Any:
        nonlocal polls
        polls += 1
        return await original(self, name)

    GeminiTunedModelsHook.aget_tuned_model = counting_get  # type: ignore[method-assign]
    triggers = [
        TunedModelTrigger(tuned_model_name=name, poll_interval=1.0, end_time=time.time() + 3600)
        for name in names
    ]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(anext(t.run())) for t in triggers]
    await asyncio.sleep(seconds)
    heap = tracemalloc.get_traced_memory()[0] - before
    connections = connections_to(port)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    tracemalloc.stop()
    GeminiTunedModelsHook.aget_tuned_model = original  # type: ignore[method-assign]
    return {"heap": heap, "connections": connections, "polls": polls}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--triggers", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with run_emulator(step_seconds=60, subprocess=True) as emulator:
        settings = ClientSettings(base_url=emulator.base_url, api_key=emulator.api_key)
        hook_pool.hook_factory = lambda hook_class, conn_id: GeminiTunedModelsHook(
            settings=settings
        )
        submitter = GeminiTunedModelsHook(settings=settings)
        names = [
            submitter.create_tuned_model(SLOW_MODEL, tuned_model_id=f"wait-{i}").tuned_model_name
            or ""
            for i in range(args.triggers)
        ]
        port = int(emulator.base_url.rsplit(":", 1)[1])
        result = asyncio.run(run_triggers(names, args.seconds, port))
    per_trigger = result["heap"] / args.triggers
    print(f"{args.triggers} triggers waiting for {args.seconds:g} s on one event loop")
    print(f"  Python heap per waiting trigger: {per_trigger / 1024:.1f} KiB")
    print(
        f"  TCP connections to the API:      {result['connections']:.0f} "
        f"(ratio to triggers {result['connections'] / args.triggers:.3f})"
    )
    print(f"  status polls per second:         {result['polls'] / args.seconds:.0f}")


if __name__ == "__main__":
    main()
