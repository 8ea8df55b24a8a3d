"""Bounded, order-keeping concurrency on the async hook, for operators that make many calls.

Operators run synchronously on a worker; those that send many independent requests
(generation, evaluation) run a short event loop with :func:`run_with_async_hook`
and fan out with :func:`ordered_map`. Inputs that block while read (files on an
object store) go through :func:`read_in_thread`, so the calls in flight go on.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
)
from typing import TYPE_CHECKING, TypeVar

from airflow_provider_tunedmodels.core.heap import older_objects_frozen

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.tuned_models import GeminiTunedModelsHook

__all__ = ["ordered_map", "read_in_thread", "run_with_async_hook"]

T = TypeVar("T")
R = TypeVar("R")

#: How many items :func:`ordered_map` holds per allowed concurrent call: the slack that
#: lets later items finish while an earlier, slower one is still running.
WINDOW_PER_SLOT = 2
#: Items :func:`read_in_thread` reads per hop to a worker thread.
READ_BATCH = 64


def run_with_async_hook(hook: GeminiTunedModelsHook, main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` in a new event loop and close the hook's async client afterwards.

    The connection is read with the blocking lookup first, so nothing inside the
    loop waits on Airflow's metadata; the async client is bound to this loop, so it
    is closed before the loop ends. While it runs, the objects that existed before
    are kept out of garbage collections (see :mod:`airflow_provider_tunedmodels.core.heap`).
    """
    hook.settings  # noqa: B018  # read the connection outside the event loop

    async def run_and_close() -> T:
        try:
            return await main()
        finally:
            await hook.aclose()

    with older_objects_frozen():
        return asyncio.run(run_and_close())


async def ordered_map(
    func: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int,
) -> AsyncGenerator[R, None]:
    """Yield ``await func(item)`` for every item, in input order, ``concurrency`` at a time.

    ``items`` (an iterable or an async iterable) is read lazily: at most
    ``concurrency * WINDOW_PER_SLOT`` items (and their results) are held at once, so
    a huge input streams through in constant memory. If ``func`` raises, the calls
    still running are cancelled and the error propagates. Close the generator
    (``contextlib.aclosing``) when stopping early.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    slots = asyncio.Semaphore(concurrency)

    async def guarded(item: T) -> R:
        async with slots:
            return await func(item)

    window = concurrency * WINDOW_PER_SLOT
    pending: deque[asyncio.Task[R]] = deque()
    try:
        async for item in _as_async_iterable(items):
            if len(pending) >= window:
                yield await pending.popleft()
            pending.append(asyncio.ensure_future(guarded(item)))
        while pending:
            yield await pending.popleft()
    finally:
        await _cancel_all(pending)


async def read_in_thread(items: Iterable[T], *, batch: int = READ_BATCH) -> AsyncGenerator[T, None]:
    """Yield ``items``, reading them ``batch`` at a time in a worker thread.

    For inputs whose reading blocks, such as a file on an object store: the event
    loop keeps serving the calls in flight while the next batch is read. Batches are
    read one after the other, never concurrently, so any iterator is safe to pass.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    iterator = iter(items)
    while chunk := await asyncio.to_thread(_next_batch, iterator, batch):
        for item in chunk:
            yield item


def _next_batch(iterator: Iterable[T], count: int) -> list[T]:
    return list(itertools.islice(iterator, count))


async def _as_async_iterable(items: Iterable[T] | AsyncIterable[T]) -> AsyncGenerator[T, None]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


async def _cancel_all(tasks: Iterable[asyncio.Task[R]]) -> None:
    remaining = list(tasks)
    for task in remaining:
        task.cancel()
    await asyncio.gather(*remaining, return_exceptions=True)
