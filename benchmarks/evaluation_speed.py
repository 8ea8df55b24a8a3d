"""P4: evaluation speed against its physical bound and against a raw httpx floor.

The emulator (in a child process) answers ``generateContent`` after
``--latency`` seconds. ``EvaluateTunedModelOperator`` evaluates ``--examples``
examples from a JSONL file, ``--concurrency`` at a time, and writes the results
file. No client can beat ``examples * latency / concurrency`` seconds: that is
the bound. The floor is a plain ``httpx.AsyncClient`` (default settings, a
semaphore for the concurrency) sending the same requests and reading the
answers' text, with nothing else to do. Each contender runs ``--rounds`` times,
alternately; the best time of each counts.

The emulator runs in its own process, so only the client's work is timed as the
client's CPU; but it shares the machine's cores. What the machine allows is shown
beside the bound: the time of a minimal HTTP/1.1 client written on asyncio
streams (no library, one kept-alive connection per request in flight) and the
emulator's own CPU per request, both measured in the same run.

    .venv/bin/python benchmarks/evaluation_speed.py [--examples 1000] [--latency 0.05]
        [--concurrency 32] [--rounds 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import Figure, emit, tuned_model_body

#: Distinct prompts; the evaluation set repeats them.
PROMPTS = 20


def evaluation_set(path: Path, examples: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        for number in range(examples):
            record = {
                "text_input": f"question {number % PROMPTS}",
                "output": f"answer {number % 5}",
            }
            file.write(json.dumps(record) + "\n")


def ours(
    settings: Any, model: str, source: Path, results: Path, concurrency: int
) -> tuple[float, float]:
    """Wall and CPU seconds of the operator's ``execute``."""
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
    from airflow_provider_tunedmodels.operators.evaluate import EvaluateTunedModelOperator

    operator = EvaluateTunedModelOperator(
        task_id="evaluate",
        tuned_model_name=model,
        eval_set=str(source),
        results_path=str(results),
        max_concurrency=concurrency,
    )
    operator.hook = GeminiTunedModelsHook(settings=settings)
    started, cpu = time.perf_counter(), time.process_time()
    summary = operator.execute(context={})  # type: ignore[arg-type]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if summary["failed"]:
        raise RuntimeError(f"{summary['failed']} examples failed")
    return elapsed, cpu


async def floor(
    base_url: str, api_key: str, model: str, prompts: list[str], concurrency: int
) -> tuple[float, float]:
    """Wall and CPU seconds of the same requests through a plain httpx client."""
    import httpx

    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(headers={"x-goog-api-key": api_key}, timeout=60.0) as client:

        async def generate(prompt: str) -> str:
            body = {"contents": [{"parts": [{"text": prompt}], "role": "user"}]}
            async with slots:
                response = await client.post(
                    f"{base_url}/v1beta/{model}:generateContent", json=body
                )
            response.raise_for_status()
            return str(response.json()["candidates"][0]["content"]["parts"][0]["text"])

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(generate(prompt) for prompt in prompts))
        return time.perf_counter() - started, time.process_time() - cpu


async def minimal(
    base_url: str, api_key: str, model: str, prompts: list[str], concurrency: int
) -> tuple[float, float]:
    """Wall and CPU seconds of the same requests through a minimal asyncio HTTP/1.1 client."""
    host, port = base_url.split("//", 1)[1].split(":")
    path = f"/v1beta/{model}:generateContent"
    connections: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    connections = asyncio.Queue()
    for _ in range(concurrency):
        connections.put_nowait(await asyncio.open_connection(host, int(port)))

    async def generate(prompt: str) -> str:
        body = json.dumps({"contents": [{"parts": [{"text": prompt}], "role": "user"}]}).encode()
        reader, writer = await connections.get()
        writer.write(
            f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\nx-goog-api-key: {api_key}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        answer = json.loads(await reader.readexactly(length))
        connections.put_nowait((reader, writer))
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.split(b"\r\n", 1)[0].decode())
        return str(answer["candidates"][0]["content"]["parts"][0]["text"])

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(generate(prompt) for prompt in prompts))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    while not connections.empty():
        _, writer = connections.get_nowait()
        writer.close()
    return elapsed, cpu


def emulator_cpu() -> float:
    """CPU seconds the emulator's process (this process's child) has used so far."""
    import psutil

    for child in psutil.Process().children():
        if "airflow_provider_tunedmodels.emulator" in " ".join(child.cmdline()):
            times = child.cpu_times()
            return float(times.user + times.system)
    return float("nan")


def train(settings: Any) -> str:
    from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook

    hook = GeminiTunedModelsHook(settings=settings)
    operation = hook.create_tuned_model(
        tuned_model_body(examples=PROMPTS), tuned_model_id="evaluated"
    )
    hook.wait_for_operation(str(operation.name), poll_interval=0.05, timeout=120)
    hook.close()
    return "tunedModels/evaluated"


def measure(examples: int, latency: float, concurrency: int, rounds: int) -> list[Figure]:
    from airflow_provider_tunedmodels.core.settings import ClientSettings
    from airflow_provider_tunedmodels.emulator.testing import run_emulator

    ours_runs: list[tuple[float, float]] = []
    floor_runs: list[tuple[float, float]] = []
    minimal_runs: list[tuple[float, float]] = []
    server_cpu: list[float] = []
    with (
        run_emulator(step_seconds=0.001, subprocess=True) as emulator,
        tempfile.TemporaryDirectory() as scratch,
    ):
        settings = ClientSettings(
            base_url=emulator.base_url, api_version="v1beta", api_key=emulator.api_key
        )
        model = train(settings)
        emulator.set_faults(latency=latency)
        source, results = Path(scratch) / "eval.jsonl", Path(scratch) / "results.jsonl"
        evaluation_set(source, examples)
        prompts = [f"question {n % PROMPTS}" for n in range(examples)]
        arguments = (emulator.base_url, emulator.api_key, model, prompts, concurrency)
        for _ in range(rounds):
            floor_runs.append(asyncio.run(floor(*arguments)))
            minimal_runs.append(asyncio.run(minimal(*arguments)))
            served = emulator_cpu()
            ours_runs.append(ours(settings, model, source, results, concurrency))
            server_cpu.append(emulator_cpu() - served)
    best_ours, best_floor, best_minimal = min(ours_runs), min(floor_runs), min(minimal_runs)
    bound = examples * latency / concurrency
    workload = (
        f"{examples} examples, {latency * 1000:g} ms latency, {concurrency} at a time; best of "
        f"{rounds}. What the machine allows: a minimal asyncio HTTP/1.1 client took "
        f"{best_minimal[0]:.2f} s ({best_minimal[0] / bound:.2f}x the bound, "
        f"{1000 * best_minimal[1] / examples:.2f} ms CPU per example), the raw floor "
        f"{best_floor[0] / bound:.2f}x; the emulator used {1000 * min(server_cpu) / examples:.2f} "
        "ms CPU per request of ours on the same cores"
    )
    return [
        Figure(
            "evaluation wall time vs the bound",
            best_ours[0],
            bound,
            "s",
            "examples * latency / concurrency",
            "<= 1.30",
            note=workload,
        ),
        Figure(
            "evaluation wall time vs the raw floor",
            best_ours[0],
            best_floor[0],
            "s",
            "plain httpx.AsyncClient + semaphore, same requests",
            "<= 1.00",
        ),
        Figure(
            "client CPU per example",
            1000 * best_ours[1] / examples,
            1000 * best_floor[1] / examples,
            "ms",
            "plain httpx.AsyncClient + semaphore, same requests",
            "<= 1.00",
            note="ours also reads the file, scores and writes the results",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="300 examples, one round")
    parser.add_argument("--json", action="store_true", help="print the FIGURES line")
    args = parser.parse_args()
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="evaluation-speed-"))
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    examples, rounds = (300, 1) if args.quick else (args.examples, args.rounds)
    figures = measure(examples, args.latency, args.concurrency, rounds)
    emit("P4 evaluation speed", figures, args.json)


if __name__ == "__main__":
    main()
