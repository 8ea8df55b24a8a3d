"""Names a package exports but imports only on first use (a module-level ``__getattr__``).

A package's ``__init__`` lists where each public name lives and sets
``__getattr__ = lazy_getattr(__name__, HOMES, globals())``; importing the
package then loads none of those modules (importing pydantic, say, when a DAG
file is parsed), while ``from package import Name`` still works.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(
    package: str, homes: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``name`` from ``homes[name]`` and keeps it.

    :param package: the package's ``__name__``; a home starting with ``.`` is relative to it.
    :param homes: each public name's module.
    :param namespace: the package's ``globals()``, where a loaded name is kept.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        namespace[name] = value
        return value

    return __getattr__
