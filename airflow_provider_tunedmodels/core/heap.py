"""Keep a process's older objects out of full garbage collections while many requests run.

A worker or a triggerer holds Airflow's objects, several hundred thousand of them,
for its whole life. Many requests in flight (an evaluation fan-out, a thousand
waiting triggers) make enough short-lived garbage for frequent full collections,
and each one walks all of those objects again for nothing it could free, pausing
the whole process (about 175 ms each in a triggerer with a thousand triggers,
where the event loop should never pause for more than 100 ms).

:func:`older_objects_frozen` moves the objects that exist when the first holder
enters into the collector's permanent generation (:func:`gc.freeze`) and hands
them back (:func:`gc.unfreeze`) when the last holder leaves, so an idle process
is as it was. Holders nest and may overlap (triggers starting and ending on one
loop). A freeze made by someone else before (Airflow freezes before it forks
some processes) is left as it is: nothing is frozen, nor unfrozen, here then.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["older_objects_frozen"]

_lock = threading.Lock()
_holders = 0
#: Whether the current freeze is ours to undo.
_froze = False


def _enter() -> None:
    global _holders, _froze
    with _lock:
        _holders += 1
        if _holders == 1 and not gc.get_freeze_count():
            gc.freeze()
            _froze = True


def _leave() -> None:
    global _holders, _froze
    with _lock:
        _holders -= 1
        if _holders == 0 and _froze:
            gc.unfreeze()
            _froze = False


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist when the first holder enters out of full collections.

    They are handed back to the collector when the last holder leaves.
    """
    _enter()
    try:
        yield
    finally:
        _leave()
