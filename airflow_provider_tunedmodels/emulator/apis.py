"""The APIs one emulator serves: each package registers its routes on the router.

Adding an API is one line here: its package's ``register(router, context)``
(see :mod:`airflow_provider_tunedmodels.emulator.router`). The order is the
order routes are tried in.
"""

from __future__ import annotations

from collections.abc import Callable

from airflow_provider_tunedmodels.emulator import gcs, gemini, vertex
from airflow_provider_tunedmodels.emulator.context import ServerContext
from airflow_provider_tunedmodels.emulator.router import Router

__all__ = ["REGISTRATIONS", "Registration"]

Registration = Callable[[Router, ServerContext], None]

#: The ``register`` function of every API package, hot routes first.
REGISTRATIONS: tuple[Registration, ...] = (gemini.register, vertex.register, gcs.register)
