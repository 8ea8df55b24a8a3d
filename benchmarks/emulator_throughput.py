"""Throughput of the emulator's ``tunedModels.get``.

Starts the emulator in a child process on loopback, creates one tuned model,
waits until it is ACTIVE and then calls ``GET /v1beta/tunedModels/{id}`` from
this process with N concurrent keep-alive connections for a fixed duration.
Prints requests per second, latency percentiles and the ratio to the target
of 1,000 requests per second.

Usage::

    .venv/bin/python benchmarks/emulator_throughput.py [--seconds 10] [--concurrency 32]
        [--client raw|httpx] [--in-thread]

``--client raw`` (default) is a minimal HTTP/1.1 client on asyncio streams so
that the client is not the bottleneck; ``--client httpx`` uses
``httpx.AsyncClient`` as a real application would. ``--in-thread`` runs the
server in a thread of this process instead of a child process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from urllib.parse import urlsplit

import httpx

from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator

TARGET_PER_SECOND = 1_000


def create_active_model(emulator: RunningEmulator) -> str:
    """Create a small tuned model and wait until it is ACTIVE; return its name."""
    headers = {"x-goog-api-key": emulator.api_key}
    body = {
        "displayName": "benchmark model",
        "baseModel": "models/gemini-1.5-flash-001-tuning",
        "tuningTask": {
            "hyperparameters": {"epochCount": 2, "batchSize": 4},
            "trainingData": {
                "examples": {
                    "examples": [{"textInput": str(i), "output": str(i + 1)} for i in range(20)]
                }
            },
        },
    }
    with httpx.Client(
        base_url=emulator.base_url, headers=headers, trust_env=False, verify=False
    ) as client:
        operation = client.post("/v1beta/tunedModels", json=body).raise_for_status().json()
        name = str(operation["metadata"]["tunedModel"])
        while client.get(f"/v1beta/{name}").json()["state"] != "ACTIVE":
            time.sleep(0.01)
        return name


async def raw_worker(
    host: str, port: int, request: bytes, stop_at: float, latencies: list[float]
) -> None:
    """One keep-alive connection sending GETs until ``stop_at``."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            status = head[9:12]
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if status != b"200":
                raise RuntimeError(f"unexpected status {status!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
        await writer.wait_closed()


async def httpx_worker(
    emulator: RunningEmulator, path: str, stop_at: float, latencies: list[float]
) -> None:
    """One ``httpx.AsyncClient`` (one keep-alive connection) sending GETs until ``stop_at``."""
    async with httpx.AsyncClient(
        base_url=emulator.base_url,
        headers={"x-goog-api-key": emulator.api_key},
        trust_env=False,
        verify=False,
    ) as client:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"unexpected status {response.status_code}")
            latencies.append(time.perf_counter() - started)


async def measure(
    emulator: RunningEmulator, name: str, *, seconds: float, concurrency: int, client: str
) -> list[float]:
    """Run the load and return every request's latency."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    path = f"/v1beta/{name}"
    if client == "raw":
        url = urlsplit(emulator.base_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"x-goog-api-key: {emulator.api_key}\r\n\r\n"
        ).encode()
        await asyncio.gather(
            *(raw_worker(host, port, request, stop_at, latencies) for _ in range(concurrency))
        )
        return latencies
    await asyncio.gather(
        *(httpx_worker(emulator, path, stop_at, latencies) for _ in range(concurrency))
    )
    return latencies


def report(latencies: list[float], seconds: float, args: argparse.Namespace) -> None:
    """Print the figures."""
    rate = len(latencies) / seconds
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    mode = "thread" if args.in_thread else "subprocess"
    print(f"server: {mode}, client: {args.client}, concurrency: {args.concurrency}")
    print(f"requests: {len(latencies)} in {seconds:.1f} s")
    print(f"throughput: {rate:,.0f} tunedModels.get/s")
    print(
        f"latency ms: p50 {percentile(50):.2f}  p90 {percentile(90):.2f}  "
        f"p99 {percentile(99):.2f}  mean {statistics.fmean(latencies) * 1000:.2f}"
    )
    verdict = "meets" if rate >= TARGET_PER_SECOND else "MISSES"
    print(f"ratio to target ({TARGET_PER_SECOND:,}/s): {rate / TARGET_PER_SECOND:.2f}x ({verdict})")


def main() -> None:
    """Parse arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--in-thread", action="store_true")
    args = parser.parse_args()
    with run_emulator(step_seconds=0.001, subprocess=not args.in_thread) as emulator:
        name = create_active_model(emulator)
        asyncio.run(
            measure(emulator, name, seconds=1.0, concurrency=args.concurrency, client=args.client)
        )  # warm-up
        latencies = asyncio.run(
            measure(
                emulator,
                name,
                seconds=args.seconds,
                concurrency=args.concurrency,
                client=args.client,
            )
        )
    report(latencies, args.seconds, args)


if __name__ == "__main__":
    main()
