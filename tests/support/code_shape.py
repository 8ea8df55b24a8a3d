"""Measures of the package's source: module sizes and the share of sync/async twins.

A *twin* is an ``async def`` and the ``def`` it mirrors: ``x`` and ``ax`` (or ``_x`` and
``_ax``, ``wait_for_x`` and ``await_x``) in one scope, or a method of the same name in classes
``Foo`` and ``AsyncFoo`` of one module. Twins are kept only where the I/O differs; their share
of the code lines (both members counted, blank and comment lines left out) says how much of the
package is written twice. httpcore's share, by the same measure, is about 5%.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Twin:
    """A sync/async pair: where it is and how many lines both members take."""

    where: str
    lines: int


def code_lines(source: str) -> int:
    """Lines that are neither blank nor comments."""
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def module_lines(package: Path) -> dict[str, int]:
    """Every module of ``package`` with its physical line count."""
    return {
        str(path.relative_to(package)): len(path.read_text().splitlines())
        for path in sorted(package.rglob("*.py"))
    }


def twins(package: Path) -> Iterator[Twin]:
    """Every sync/async twin in ``package``."""
    for path in sorted(package.rglob("*.py")):
        yield from _twins_in(ast.parse(path.read_text()).body, f"{path.relative_to(package)}:")


def twin_share(package: Path) -> float:
    """The share of the code lines of ``package`` that are in sync/async twins."""
    total = sum(code_lines(path.read_text()) for path in package.rglob("*.py"))
    return sum(twin.lines for twin in twins(package)) / total


def _span(node: ast.AST) -> int:
    return int(getattr(node, "end_lineno", 0)) - int(getattr(node, "lineno", 0)) + 1


def _functions(body: list[ast.stmt]) -> dict[str, _Function]:
    return {node.name: node for node in body if isinstance(node, _Function)}


def _sync_names(name: str) -> list[str]:
    names = [name[1:]]
    if name.startswith("_a"):
        names.append("_" + name[2:])
    if name.startswith("await_"):
        names.append("wait_for_" + name[len("await_") :])
    return names


def _twins_in(body: list[ast.stmt], where: str) -> Iterator[Twin]:
    functions = _functions(body)
    for name, node in functions.items():
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        for sync_name in _sync_names(name):
            sync = functions.get(sync_name)
            if isinstance(sync, ast.FunctionDef):
                yield Twin(f"{where}{sync_name}", _span(node) + _span(sync))
                break
    classes = {node.name: node for node in body if isinstance(node, ast.ClassDef)}
    for class_name, cls in classes.items():
        yield from _twins_in(cls.body, f"{where}{class_name}.")
        mirror = classes.get(f"Async{class_name}")
        if mirror is None:
            continue
        sync_methods = _functions(cls.body)
        for method_name, method in _functions(mirror.body).items():
            if isinstance(method, ast.AsyncFunctionDef) and method_name in sync_methods:
                lines = _span(method) + _span(sync_methods[method_name])
                yield Twin(f"{where}{class_name}/Async{class_name}.{method_name}", lines)
