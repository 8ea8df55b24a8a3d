"""A local emulator of Google's model tuning REST APIs.

A real HTTP server (ASGI, served by uvicorn) that behaves like
``generativelanguage.googleapis.com`` for tuned models, base models, permissions
and tuning operations (package ``gemini``) and like ``aiplatform.googleapis.com``
for tuning jobs, their operations, tuned models and endpoints (package
``vertex``), so that DAGs, tests and demos run offline and Google's own client
libraries can talk to it. Tuning is simulated: no neural network is trained; a
tuned model answers with the output of the training example whose input matches
the prompt (or is the most similar to it).

Run it with ``tunedmodels-emulator`` (or ``python -m
airflow_provider_tunedmodels.emulator``), or from tests with
:func:`airflow_provider_tunedmodels.emulator.testing.run_emulator` and the
``tunedmodels_emulator`` fixture of
``airflow_provider_tunedmodels.emulator.pytest_plugin``. See ``README.md`` in
this package for the routes, rules and curl examples.

Importing this package is cheap: the server modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_tunedmodels.emulator.app import EmulatorApp, create_app
    from airflow_provider_tunedmodels.emulator.config import EmulatorConfig
    from airflow_provider_tunedmodels.emulator.faults import FaultRule
    from airflow_provider_tunedmodels.emulator.testing import RunningEmulator, run_emulator

__all__ = [
    "EmulatorApp",
    "EmulatorConfig",
    "FaultRule",
    "RunningEmulator",
    "create_app",
    "run_emulator",
]

_LAZY = {
    "EmulatorApp": "airflow_provider_tunedmodels.emulator.app",
    "create_app": "airflow_provider_tunedmodels.emulator.app",
    "EmulatorConfig": "airflow_provider_tunedmodels.emulator.config",
    "FaultRule": "airflow_provider_tunedmodels.emulator.faults",
    "RunningEmulator": "airflow_provider_tunedmodels.emulator.testing",
    "run_emulator": "airflow_provider_tunedmodels.emulator.testing",
}


def __getattr__(name: str) -> Any:
    """Load the public names on first use."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
