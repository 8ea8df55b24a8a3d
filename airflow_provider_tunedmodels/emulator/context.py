"""What the server shares with the API packages it serves."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.faults import FaultInjector
from airflow_provider_tunedmodels.emulator.state import StateFile

__all__ = ["ServerContext"]


def _no_object(uri: str) -> bytes | None:
    return None


@dataclass
class ServerContext:
    """Settings, clock, state file, fault rules and the object store of one server.

    Each API package's ``register(router, context)`` keeps what it needs from
    here. The Cloud Storage package sets ``storage`` and ``read_object`` (``gs://``
    URI to bytes, or ``None``); ``read_object`` is looked up on every use.
    """

    config: EmulatorConfig
    state: StateFile
    faults: FaultInjector
    clock: Callable[[], float] = time.time
    storage: Any = None
    read_object: Callable[[str], bytes | None] = field(default=_no_object)
