"""P6: throughput of the emulator's ``tunedModels.get``, against a minimal server on this machine.

Starts the emulator in a child process (or a thread with ``--in-thread``),
creates one tuned model, waits until it is ACTIVE, then sends
``GET /v1beta/tunedModels/{id}`` over ``--concurrency`` keep-alive connections for
``--seconds``. The anchor is a minimal asyncio HTTP/1.1 server, also in a child
process, that answers every request with the same bytes at once: what this
machine, at this moment, allows a one-process Python server. The goal is the
emulator's 1,000 requests per second; the ratio to the anchor shows how much of
the machine's capacity the emulator's own work leaves.

``--client raw`` (default) is a minimal HTTP/1.1 client on asyncio streams, so
that the client is not the bottleneck; ``--client httpx`` uses
``httpx.AsyncClient`` as an application would.

    .venv/bin/python benchmarks/emulator_throughput.py [--seconds 10] [--concurrency 32]
        [--client raw|httpx] [--in-thread] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
from _common import Figure, emit, percentile, tuned_model_body

TARGET_PER_SECOND = 1_000

#: The anchor server: answers every request with the bytes given on the command line.
MINIMAL_SERVER = """
import asyncio, sys
answer = sys.stdin.buffer.read()
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            writer.write(answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def create_active_model(base_url: str, api_key: str) -> tuple[str, bytes]:
    """Create a small tuned model, wait until it is ACTIVE; return its name and raw GET answer."""
    headers = {"x-goog-api-key": api_key}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False) as client:
        operation = client.post("/v1beta/tunedModels", json=tuned_model_body()).raise_for_status()
        name = str(operation.json()["metadata"]["tunedModel"])
        while (answer := client.get(f"/v1beta/{name}")).json()["state"] != "ACTIVE":
            time.sleep(0.01)
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(answer.content)}\r\n\r\n"
    return name, head.encode() + answer.content


@contextmanager
def minimal_server(answer: bytes) -> Iterator[str]:
    """Run the anchor server in a child process; yield its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", MINIMAL_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=False,
    )
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(answer)
        process.stdin.close()
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


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
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if head[9:12] != b"200":
                raise RuntimeError(f"unexpected status {head[9:12]!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()
        await writer.wait_closed()


async def httpx_worker(
    base_url: str, api_key: str, path: str, stop_at: float, latencies: list[float]
) -> None:
    """One ``httpx.AsyncClient`` (one keep-alive connection) sending GETs until ``stop_at``."""
    headers = {"x-goog-api-key": api_key}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, trust_env=False) as client:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"unexpected status {response.status_code}")
            latencies.append(time.perf_counter() - started)


async def load(
    base_url: str, api_key: str, name: str, *, seconds: float, concurrency: int, client: str
) -> list[float]:
    """Send GETs for ``seconds``; return every request's latency."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    path = f"/v1beta/{name}"
    if client == "httpx":
        workers = [
            httpx_worker(base_url, api_key, path, stop_at, latencies) for _ in range(concurrency)
        ]
    else:
        url = urlsplit(base_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nx-goog-api-key: {api_key}\r\n\r\n".encode()
        workers = [raw_worker(host, port, request, stop_at, latencies) for _ in range(concurrency)]
    await asyncio.gather(*workers)
    return latencies


def throughput(
    base_url: str, api_key: str, name: str, seconds: float, concurrency: int, client: str
) -> tuple[float, float]:
    """Requests per second and p99 latency in ms, after a one-second warm-up."""
    asyncio.run(load(base_url, api_key, name, seconds=1.0, concurrency=concurrency, client=client))
    latencies = asyncio.run(
        load(base_url, api_key, name, seconds=seconds, concurrency=concurrency, client=client)
    )
    return len(latencies) / seconds, 1000 * percentile(latencies, 0.99)


def measure(seconds: float, concurrency: int, client: str, in_thread: bool) -> list[Figure]:
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    with run_emulator(step_seconds=0.001, subprocess=not in_thread) as emulator:
        name, answer = create_active_model(emulator.base_url, emulator.api_key)
        ours, ours_p99 = throughput(
            emulator.base_url, emulator.api_key, name, seconds, concurrency, client
        )
    with minimal_server(answer) as anchor_url:
        anchor, _ = throughput(anchor_url, "unused", name, seconds, concurrency, client)
    mode = "a thread" if in_thread else "a child process"
    setup = f"server in {mode}, {client} client, {concurrency} connections, {seconds:g} s"
    return [
        Figure(
            "emulator tunedModels.get per second",
            ours,
            anchor,
            "/s",
            "minimal asyncio server answering the same bytes",
            ">= 0.20",
            note=f"{setup}; emulator p99 {ours_p99:.1f} ms",
        ),
        Figure(
            "emulator tunedModels.get per second, against the target",
            ours,
            float(TARGET_PER_SECOND),
            "/s",
            "the emulator's target",
            ">= 1.00",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--in-thread", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1 second per server")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    figures = measure(seconds, args.concurrency, args.client, args.in_thread)
    emit("P6 emulator throughput", figures, args.json)


if __name__ == "__main__":
    main()
