# Sourced by .ci/test and .ci/pipeline: create .venv and install the package with its test
# tools, once per change of pyproject.toml. Needs only python3 (>= 3.10) with venv and pip.
# Also defines ensure_venv, which .ci/test uses for the lowest supported Airflow's venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TUNEDMODELS_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required")'
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "python3 lacks venv/ensurepip; installing it with apt (Debian: python3-venv)" >&2
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
# The web UI test drives Debian's headless Chromium (tests/ui).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing Debian's chromium and chromium-driver with apt (for tests/ui)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    chromium chromium-driver >/dev/null
fi

# Machines that set PYTHONDONTWRITEBYTECODE (CI's do) would have every interpreter compile each
# module it imports again: an Airflow process then takes seconds longer to start (import
# airflow.sdk: 7 s instead of 2.8 s). The suite writes bytecode caches for its own venvs, so
# each module is compiled once, by the first process that imports it.
unset PYTHONDONTWRITEBYTECODE

# ensure_venv DIR PIP_INSTALL_ARGS...: make DIR a virtualenv holding PIP_INSTALL_ARGS, installing
# only when pyproject.toml, the arguments or a file they name (a constraints file) changed.
ensure_venv() {
  local venv="$1"; shift
  local stamp="$venv/.tunedmodels-installed" want arg
  want="$({
    cat "$ROOT/pyproject.toml"
    for arg in "$@"; do
      echo "$arg"
      if [ -f "$arg" ]; then cat "$arg"; fi
    done
  } | sha256sum | cut -d' ' -f1)"
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing $* into $venv ..."
    # uv resolves and installs the same releases as pip, in seconds rather than minutes (it
    # downloads in parallel and keeps a cache); pip installs it, and stands in if it cannot.
    # (grep drops pip's notes about package-index locations configured on this machine)
    if "$venv/bin/python" -m pip install -q uv 2>&1 | { grep -v "^WARNING: Location" || true; } \
      && [ -x "$venv/bin/uv" ]; then
      "$venv/bin/uv" pip install -q --python "$venv/bin/python" "$@"
    else
      "$venv/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
      "$venv/bin/python" -m pip install -q "$@" 2>&1 \
        | { grep -v -e "^WARNING: Location" -e "BuildBackendWarning" || true; }
    fi
    echo "$want" > "$stamp"
  fi
}

ensure_venv "$VENV" -e "$ROOT[test,charts,production-topology]"
export PATH="$VENV/bin:$PATH"
export TUNEDMODELS_ROOT="$ROOT"
