"""What the server shares with the API packages it serves."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
from airflow_provider_tunedmodels.emulator.faults import FaultInjector
from airflow_provider_tunedmodels.emulator.objects import ObjectStore
from airflow_provider_tunedmodels.emulator.state import StateFile

__all__ = ["ServerContext"]


@dataclass
class ServerContext:
    """Settings, clock, state file, fault rules and stored objects of one server.

    Each API package's ``register(router, context)`` keeps what it needs from
    here. ``read_object`` is looked up on every use, so replacing it (with a
    Cloud Storage store's reader, say) takes effect at once.
    """

    config: EmulatorConfig
    state: StateFile
    faults: FaultInjector
    clock: Callable[[], float] = time.time
    objects: ObjectStore = field(default_factory=ObjectStore)
    read_object: Callable[[str], bytes | None] = field(init=False)

    def __post_init__(self) -> None:
        self.read_object = self.objects.read_object
