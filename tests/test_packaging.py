"""The sdist and the wheel carry the package and its licence, and nothing stray."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build both distributions from the tracked files, as a release would."""
    source = tmp_path_factory.mktemp("source")
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPOSITORY / name).read_bytes())
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(source)],
        capture_output=True,
        check=True,
    )
    return {
        "sdist": next(out.glob("*.tar.gz")),
        "wheel": next(out.glob("*.whl")),
    }


def test_the_sdist_has_the_licence_and_no_stray_tests(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as sdist:
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
    assert "LICENSE" in names
    assert not [name for name in names if name.startswith("tests/")]
    assert "airflow_provider_tunedmodels/hooks/gemini.py" in names


def test_the_wheel_has_the_licence_and_the_package_only(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        licence = next(name for name in names if name.endswith("licenses/LICENSE"))
        assert b"Apache License" in wheel.read(licence)
        assert b"Version 2.0" in wheel.read(licence)
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"airflow_provider_tunedmodels", "airflow_provider_tunedmodels-0.1.0.dist-info"}
