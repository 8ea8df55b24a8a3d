"""P4: evaluation speed against its physical bound and against a raw httpx floor.

The emulator (in a child process) answers ``generateContent`` after
``--latency`` seconds. ``EvaluateTunedModelOperator`` evaluates ``--examples``
examples from a JSONL file, ``--concurrency`` at a time, and writes the results
file. No client can beat ``examples * latency / concurrency`` seconds: that is
the bound. The floor is a plain ``httpx.AsyncClient`` (default settings, a
semaphore for the concurrency) sending the same requests and reading the
answers' text, with nothing else to do. Each contender runs ``--rounds`` times,
alternately; the best time of each counts.

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
        for _ in range(rounds):
            floor_runs.append(
                asyncio.run(floor(emulator.base_url, emulator.api_key, model, prompts, concurrency))
            )
            ours_runs.append(ours(settings, model, source, results, concurrency))
    best_ours, best_floor = min(ours_runs), min(floor_runs)
    bound = examples * latency / concurrency
    workload = f"{examples} examples, {latency * 1000:g} ms latency, {concurrency} at a time; best of {rounds}"
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
