"""How ``pytest-xdist`` shares the end-to-end scenarios out: one unit of work per cluster.

A cluster is started once per test module and topology (``conftest.py``). ``--dist loadscope``
alone makes the whole module one unit, so a module's clusters run one after the other on one
worker; here each module and topology is a unit, so they can start on two workers, and all of
one cluster's scenarios still run on one. (``--dist loadgroup`` would do it with marks, but it
groups nothing on pytest 9.2: pytest-dev/pytest-xdist#1386.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest

TOPOLOGIES = ("local", "celery")


def cluster_of(nodeid: str) -> str:
    """The cluster a test runs on: its module, and its topology if it has one."""
    module, _, test = nodeid.partition("::")
    topology = re.search(r"\[(\w+)\]$", test)
    return f"{module}[{topology[1]}]" if topology and topology[1] in TOPOLOGIES else module


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with one unit of work per cluster instead of per module."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ClusterScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return cluster_of(nodeid)

    return ClusterScheduling(config, log)
