"""Async hooks shared by the triggers that wait at the same time in one triggerer.

A triggerer runs many triggers on one event loop. Opening an HTTP client per
trigger, or per poll, would repeat TLS handshakes and hold a connection pool per
waiting task. Instead each event loop gets one hook per backend (hook class)
and connection id, and so one ``httpx.AsyncClient`` with one connection pool,
while any trigger uses it. When its last user is done the client is closed, so
an idle triggerer holds no connections, and a changed connection (a rotated API
key) is read afresh the next time a trigger starts.

While any trigger holds a hook, the objects the process held before the first
one started (Airflow's own, several hundred thousand) are kept out of full
garbage collections (:mod:`airflow_provider_tunedmodels.core.heap`): with a
thousand triggers polling, each full collection would otherwise walk them all
again and pause the event loop for well over 100 ms.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from airflow_provider_tunedmodels.core.heap import older_objects_frozen

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.hooks.base import TuningJobHook

__all__ = ["shared_hook"]


def _new_hook(hook_class: type[TuningJobHook], conn_id: str) -> TuningJobHook:
    return hook_class(conn_id)


#: Builds the hook of a backend for a connection id (tests replace it to plug in a transport).
hook_factory: Callable[[type[TuningJobHook], str], TuningJobHook] = _new_hook


@dataclass
class _Entry:
    hook: TuningJobHook
    users: int = 0
    ready: asyncio.Lock = field(default_factory=asyncio.Lock)


_Key = tuple[type, str]
_ENTRIES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_Key, _Entry]] = (
    weakref.WeakKeyDictionary()
)


@asynccontextmanager
async def shared_hook(
    hook_class: type[TuningJobHook], conn_id: str
) -> AsyncIterator[TuningJobHook]:
    """Lend the ``hook_class`` hook of ``conn_id`` for this event loop, creating its client on first use.

    The client is built under a lock, so triggers starting together read the
    connection once and share one client.
    """
    entries = _ENTRIES.setdefault(asyncio.get_running_loop(), {})
    key = (hook_class, conn_id)
    entry = entries.get(key)
    if entry is None:
        entry = entries[key] = _Entry(hook_factory(hook_class, conn_id))
    entry.users += 1
    try:
        with older_objects_frozen():
            async with entry.ready:
                await entry.hook.aget_client()
            yield entry.hook
    finally:
        entry.users -= 1
        if entry.users == 0:
            if entries.get(key) is entry:
                del entries[key]
            await entry.hook.aclose()


def active_hook_count() -> int:
    """How many hooks are lent out on the running loop (for tests and diagnostics)."""
    return len(_ENTRIES.get(asyncio.get_running_loop(), {}))
