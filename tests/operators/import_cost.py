"""What importing an operator module costs: the provider modules it loads.

Operator modules are imported whenever a DAG file is parsed, so they must not
load the HTTP client, the wire models or the data package at import time.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["HEAVY_PROVIDER_MODULES", "provider_modules_loaded_by"]

#: Modules an operator module must not import when a DAG file is parsed.
HEAVY_PROVIDER_MODULES = frozenset(
    {
        "airflow_provider_tunedmodels.hooks.tuned_models",
        "airflow_provider_tunedmodels.core.http",
        "airflow_provider_tunedmodels.core.auth",
        "airflow_provider_tunedmodels.models",
        "airflow_provider_tunedmodels.models.gemini.tuned_model",
        "airflow_provider_tunedmodels.data",
    }
)


def provider_modules_loaded_by(module: str) -> set[str]:
    """The provider's modules that importing ``module`` loads, in a clean import.

    The provider's modules are removed from ``sys.modules`` for the import and put
    back afterwards, so the rest of the test session keeps the original objects.
    """
    saved = {name: mod for name, mod in sys.modules.items() if _is_provider(name)}
    for name in saved:
        del sys.modules[name]
    try:
        importlib.import_module(module)
        return {name for name in sys.modules if _is_provider(name)}
    finally:
        for name in [name for name in sys.modules if _is_provider(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _is_provider(name: str) -> bool:
    return name == "airflow_provider_tunedmodels" or name.startswith(
        "airflow_provider_tunedmodels."
    )
