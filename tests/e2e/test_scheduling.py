"""Each cluster's scenarios run on one worker, and one module's clusters on several.

A real ``pytest -n 3 --dist loadscope`` run of two stand-in modules, with this directory's
scheduling hook and no Airflow: a module-scoped fixture records where each cluster starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]

CONFTEST = """
import os
import pytest
from tests.e2e.scheduling import pytest_xdist_make_scheduler

def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("topologies")
    names = marker.args if marker else ("local", "celery")
    metafunc.parametrize("topology", names, indirect=True, scope="module")

@pytest.fixture(scope="module")
def topology(request):
    with open(os.environ["STARTS"], "a") as starts:
        starts.write(f"{request.module.__name__} {request.param} {os.getpid()}\\n")
    return request.param
"""

#: A module on both topologies, with a scenario on one only.
BOTH = """
import pytest

def test_on_both(topology): pass

@pytest.mark.topologies("local")
def test_on_local_only(topology): pass

def test_on_both_again(topology): pass
"""
#: A module on the local topology only.
LOCAL = """
import pytest

pytestmark = pytest.mark.topologies("local")

def test_one(topology): pass

def test_two(topology): pass
"""


def test_each_cluster_starts_once_and_a_modules_clusters_on_different_workers(
    tmp_path: Path,
) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_both.py").write_text(textwrap.dedent(BOTH))
    (tmp_path / "test_local.py").write_text(textwrap.dedent(LOCAL))
    starts = tmp_path / "starts.txt"
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-n", "3", "--dist", "loadscope"]
    in_isolation = ["-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", str(tmp_path)]
    run = subprocess.run(
        [*pytest_run, *in_isolation, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "STARTS": str(starts),
            "PYTHONPATH": str(REPOSITORY),
            "PYTEST_ADDOPTS": "",
        },
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "7 passed" in run.stdout, run.stdout[-1000:]
    started = [line.split() for line in starts.read_text().splitlines()]
    clusters = sorted((module, topology) for module, topology, _ in started)
    assert clusters == [("test_both", "celery"), ("test_both", "local"), ("test_local", "local")]
    # Three clusters, three workers: one each, the two of test_both side by side.
    assert len({worker for _, _, worker in started}) == 3, started
