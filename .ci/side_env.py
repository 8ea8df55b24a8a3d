"""Make a side environment that cannot live in the project's own; print its interpreter.

    python .ci/side_env.py NAME

``NAME``'s environment holds what ``.ci/NAME-requirements.txt`` lists, and nothing of the
project's:

- ``aiplatform``: google-cloud-aiplatform 2.x declares ``google-genai<3`` while the
  project's test environment holds google-genai 3, so the test that proves it works against
  the emulator (``tests/emulator/vertex/test_aiplatform_client.py``) runs it from here.
- ``google-provider``: Google's Airflow provider, the anchor of the import-cost benchmark
  (``benchmarks/import_cost.py``); it does not belong in the project's environment.

An environment is made once per change of its inputs (its requirements file and the Python
version): it lives in the user's cache directory under a name derived from them, so every
clone and CI run on the machine reuses it, and a change of the inputs makes a new one (the old
one is removed). ``TUNEDMODELS_<NAME>_VENV`` (``TUNEDMODELS_AIPLATFORM_VENV``) names another
place. A lock lets concurrent callers (test workers, ``.ci/test``) wait for one another
instead of installing twice.

Exit status: 0 with the interpreter's path on stdout; 75 when the environment cannot be made
for a reason outside the project (no network to the package index, no ``venv``/``ensurepip``,
a full disk), with the reason on stderr; 1 for any other failure (the project's to fix), with
the installer's output on stderr; 2 for an unknown NAME.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Exit status when the environment cannot be made for a reason outside the project.
UNAVAILABLE = 75
_STAMP = ".tunedmodels-side-env-installed"
#: How environments are installed; part of their digest, so a change remakes them. They are
#: installed with their bytecode compiled: they are also run outside the test suite (the
#: import-cost benchmark's anchor), where the machine may set PYTHONDONTWRITEBYTECODE and an
#: interpreter would compile each module it imports again, and be timed doing it.
_INSTALL_FORM = "bytecode compiled"
#: What pip or venv print when the cause lies outside the project, and how to say it.
_OUTSIDE_CAUSES = {
    "Temporary failure in name resolution": "the package index's host name does not resolve",
    "Name or service not known": "the package index's host name does not resolve",
    "Failed to establish a new connection": "the package index cannot be reached",
    "Network is unreachable": "the network is unreachable",
    "Max retries exceeded": "the package index cannot be reached",
    "ConnectTimeoutError": "connecting to the package index timed out",
    "Read timed out": "the package index did not answer in time",
    "ProxyError": "the proxy to the package index refused the connection",
    "SSLError": "the TLS connection to the package index failed",
    # pip's words when it reaches no index at all and retries nothing (PIP_RETRIES=0)
    "(from versions: none)": "pip found no release at all on the configured package indexes "
    "(no network, or an index without it)",
    # uv's words for the same causes
    "dns error": "the package index's host name does not resolve",
    "error sending request": "the package index cannot be reached",
    "No space left on device": "the disk is full",
    "ensurepip is not available": "this Python lacks ensurepip (Debian: apt-get install python3-venv)",
    "No module named venv": "this Python lacks the venv module",
}


class Unavailable(Exception):
    """The environment cannot be made for a reason outside the project."""


def requirements_file(name: str) -> Path:
    """The requirements of environment ``name``."""
    return HERE / f"{name}-requirements.txt"


def inputs_digest(name: str) -> str:
    """Digest of what the environment is made from: the requirements and the Python version."""
    digest = hashlib.sha256(requirements_file(name).read_bytes())
    digest.update(sys.version.encode())
    digest.update(_INSTALL_FORM.encode())
    return digest.hexdigest()


def venv_variable(name: str) -> str:
    """The environment variable that puts environment ``name`` elsewhere."""
    return f"TUNEDMODELS_{name.upper().replace('-', '_')}_VENV"


def environment_dir(name: str, digest: str) -> Path:
    """Where environment ``name`` made from ``digest`` lives."""
    configured = os.environ.get(venv_variable(name))
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "airflow-provider-tunedmodels" / f"{name}-{digest[:16]}"


def ensure_environment(name: str) -> Path:
    """Environment ``name``'s interpreter, after making it if its inputs changed."""
    digest = inputs_digest(name)
    venv = environment_dir(name, digest)
    venv.parent.mkdir(parents=True, exist_ok=True)
    python = venv / "bin" / "python"
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = venv / _STAMP
        if python.exists() and stamp.exists() and stamp.read_text() == digest:
            return python
        started = time.monotonic()
        print(f"Making the {name} environment in {venv} ...", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], "python -m venv")
        _run(_install_command(python, requirements_file(name)), "pip install")
        stamp.write_text(digest)
        print(f"... ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if venv_variable(name) not in os.environ:
        _remove_outdated(venv, f"{name}-")
    return python


def _install_command(python: Path, requirements: Path) -> list[str]:
    """Install the requirements into ``python``'s environment: with uv beside the running
    interpreter (``.ci/bootstrap.sh`` puts it there) when there is one, else with pip."""
    uv = Path(sys.executable).with_name("uv")
    if uv.exists():
        return [
            str(uv),
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(python),
            "-r",
            str(requirements),
        ]
    return [str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return
    output = _without_index_notes(result.stdout + result.stderr)
    for marker, cause in _OUTSIDE_CAUSES.items():
        if marker in output:
            raise Unavailable(f"{what} failed: {cause} ({marker!r} in its output)")
    raise RuntimeError(f"{what} failed with exit status {result.returncode}:\n{output}")


def _without_index_notes(output: str) -> str:
    # pip notes every package-index location configured on the machine that is missing.
    return "\n".join(
        line for line in output.splitlines() if not line.startswith("WARNING: Location")
    )


def _remove_outdated(current: Path, prefix: str) -> None:
    """Remove environments made from other inputs (unless one is being made right now).

    Their lock files stay: removing one could let two callers hold "the" lock at once.
    """
    for other in current.parent.glob(f"{prefix}*"):
        if other == current or not other.is_dir():
            continue
        with open(other.parent / f"{other.name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(other, ignore_errors=True)


def main() -> int:
    if len(sys.argv) != 2 or not requirements_file(sys.argv[1]).is_file():
        known = sorted(
            p.name.removesuffix("-requirements.txt") for p in HERE.glob("*-requirements.txt")
        )
        print(f"usage: {sys.argv[0]} NAME, with NAME one of {known}", file=sys.stderr)
        return 2
    name = sys.argv[1]
    try:
        python = ensure_environment(name)
    except Unavailable as exc:
        print(f"The {name} environment cannot be made: {exc}", file=sys.stderr)
        return UNAVAILABLE
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"The {name} environment cannot be made: {exc}", file=sys.stderr)
            return UNAVAILABLE
        print(f"The {name} environment was not made: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"The {name} environment was not made: {exc}", file=sys.stderr)
        return 1
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
