"""ordered_map, read_in_thread and run_with_async_hook: order, bounds, lazy reading,
cancellation, reading off the event loop, cleanup."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from contextlib import aclosing

import pytest

from airflow_provider_tunedmodels.hooks.gemini import GeminiTunedModelsHook
from airflow_provider_tunedmodels.operators._concurrency import (
    WINDOW_PER_SLOT,
    ordered_map,
    read_in_thread,
    run_with_async_hook,
)


class Gauge:
    """Counts calls in flight; each call stays in flight for a few event-loop turns."""

    def __init__(self, turns: int = 10) -> None:
        self.turns = turns
        self.in_flight = 0
        self.max_in_flight = 0
        self.started: list[int] = []
        self.cancelled = 0

    async def __call__(self, item: int) -> int:
        self.started.append(item)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # Later items finish first, so order must be restored.
            for _ in range(self.turns * (10 - item % 10)):
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight -= 1
        return item * 10


async def collect(items: Iterator[int] | list[int], gauge: Gauge, concurrency: int) -> list[int]:
    results = ordered_map(gauge, items, concurrency=concurrency)
    async with aclosing(results):
        return [value async for value in results]


async def test_results_keep_the_input_order_and_concurrency_is_bounded() -> None:
    gauge = Gauge()

    assert await collect(list(range(25)), gauge, concurrency=4) == [i * 10 for i in range(25)]
    assert gauge.max_in_flight == 4


async def test_items_are_read_lazily_within_the_window() -> None:
    pulled = 0
    held: list[int] = []
    gauge = Gauge()

    def items() -> Iterator[int]:
        nonlocal pulled
        for item in range(40):
            pulled += 1
            yield item

    results = ordered_map(gauge, items(), concurrency=3)
    async with aclosing(results):
        async for _ in results:
            held.append(pulled)

    window = 3 * WINDOW_PER_SLOT
    # When the n-th result (0-based) is yielded, at most a window more have been read.
    assert all(count <= index + window + 1 for index, count in enumerate(held))
    assert len(held) == 40


async def test_a_failure_cancels_the_calls_in_flight_and_propagates() -> None:
    gauge = Gauge(turns=50)

    async def failing(item: int) -> int:
        if item == 0:
            raise RuntimeError("boom")
        return await gauge(item)

    async def drain() -> None:
        results = ordered_map(failing, range(100), concurrency=4)
        async with aclosing(results):
            async for _ in results:
                pass

    with pytest.raises(RuntimeError, match="boom"):
        await drain()

    assert gauge.in_flight == 0
    assert gauge.cancelled > 0
    assert len(gauge.started) < 100


async def test_blocking_input_is_read_off_the_event_loop_in_batches() -> None:
    loop_thread = threading.get_ident()
    reads: list[tuple[int, int]] = []  # (item, reading thread)

    def blocking_items() -> Iterator[int]:
        for item in range(10):
            reads.append((item, threading.get_ident()))
            yield item

    gauge = Gauge()
    results = ordered_map(gauge, read_in_thread(blocking_items(), batch=4), concurrency=2)
    async with aclosing(results):
        assert [value async for value in results] == [i * 10 for i in range(10)]

    assert [item for item, _ in reads] == list(range(10))
    assert loop_thread not in {thread for _, thread in reads}
    assert gauge.max_in_flight == 2


async def test_read_in_thread_keeps_the_loop_serving_while_a_read_blocks() -> None:
    reading = threading.Event()
    release = threading.Event()
    served: list[str] = []

    def slow_items() -> Iterator[int]:
        reading.set()
        # Blocks until the event loop, still free, has served another coroutine.
        assert release.wait(timeout=30), "the event loop was blocked by the read"
        yield 1

    async def other_work() -> None:
        await asyncio.to_thread(reading.wait, 30)
        served.append("served while reading")
        release.set()

    async def consume() -> list[int]:
        return [item async for item in read_in_thread(slow_items())]

    items, _ = await asyncio.gather(consume(), other_work())
    assert items == [1]
    assert served == ["served while reading"]


async def test_read_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        async for _ in read_in_thread([1], batch=0):
            pass


async def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await collect([1], Gauge(), concurrency=0)


def test_run_with_async_hook_closes_the_async_client(mocked: GeminiTunedModelsHook) -> None:
    """Only the clients are built; nothing is sent."""

    async def main() -> bool:
        await mocked.aget_client()
        return True

    assert run_with_async_hook(mocked, main) is True
    assert mocked._async_client is None
    # A second run gets a fresh client bound to its own event loop.
    assert run_with_async_hook(mocked, main) is True


def test_run_with_async_hook_keeps_older_objects_out_of_collections(
    mocked: GeminiTunedModelsHook,
) -> None:
    gc.unfreeze()

    async def main() -> int:
        return gc.get_freeze_count()

    assert run_with_async_hook(mocked, main) > 0  # frozen while it runs
    assert gc.get_freeze_count() == 0  # handed back afterwards
