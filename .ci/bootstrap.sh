# Sourced by .ci/test and .ci/pipeline: create .venv and install the package with its test
# tools, once per change of pyproject.toml. Needs only python3 (>= 3.10) with venv and pip.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TUNEDMODELS_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required")'
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "python3 lacks venv/ensurepip; installing it with apt (Debian: python3-venv)" >&2
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# The web UI test drives Debian's headless Chromium (tests/ui).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing Debian's chromium and chromium-driver with apt (for tests/ui)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    chromium chromium-driver >/dev/null
fi

stamp="$VENV/.tunedmodels-installed"
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing airflow-provider-tunedmodels and its test tools into $VENV ..."
  # (grep drops pip's notes about package-index locations configured on this machine)
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
  "$VENV/bin/python" -m pip install -q -e "$ROOT[test,charts,production-topology]" 2>&1 \
    | { grep -v -e "^WARNING: Location" -e "BuildBackendWarning" || true; }
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export TUNEDMODELS_ROOT="$ROOT"
