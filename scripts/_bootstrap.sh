# shellcheck shell=bash
# Shared set-up for scripts/test and scripts/develop; source it, don't run it.
#
# It finds a CPython 3.13, makes .venv and installs the test requirements against
# Home Assistant's own package constraints.  A stamp file records what was
# installed, so a second run with unchanged requirements costs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
# Home Assistant 2026.2 declares python>=3.13.2; pyenv on our machines ships
# 3.13.0, which runs it fine.  uv resolves as if for 3.13.2 so that it accepts it.
RESOLVE_AS=3.13.2

find_python313() {
    local candidate
    for candidate in python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
    fi
    for candidate in $(ls -d "$root"/versions/3.13.* 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/bin/python3.13" ]; then
            echo "$candidate/bin/python3.13"
            return 0
        fi
    done
    return 1
}

# Installs requirement files (given as arguments) into .venv with uv,
# constrained by Home Assistant's pins once Home Assistant is present.
venv_install() {
    "$VENV/bin/uv" pip install --quiet --python "$PY" --python-version "$RESOLVE_AS" "$@"
}

ensure_venv() {
    local stamp="$VENV/.docsight-stamp" wanted
    wanted="$(cat "$ROOT/requirements_test.txt" "$ROOT/scripts/_bootstrap.sh" | sha256sum | cut -d' ' -f1)"
    if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    if [ ! -x "$PY" ]; then
        local python
        python="$(find_python313)" || {
            echo "error: no Python 3.13 found on PATH or in pyenv's versions folder" >&2
            exit 1
        }
        echo "==> creating .venv with $python"
        "$python" -m venv "$VENV"
    fi
    if [ ! -x "$VENV/bin/uv" ]; then
        "$PY" -m pip install --quiet --disable-pip-version-check uv
    fi
    echo "==> installing test requirements (Home Assistant and its test harness)"
    # First pass brings Home Assistant, whose constraints then pin everything else.
    venv_install pytest-homeassistant-custom-component=="$(sed -n 's/^pytest-homeassistant-custom-component==//p' "$ROOT/requirements_test.txt")"
    venv_install -r "$ROOT/requirements_test.txt" -c "$(ha_constraints)"
    echo "$wanted" >"$stamp"
}

ha_constraints() {
    echo "$VENV/lib/python3.13/site-packages/homeassistant/package_constraints.txt"
}
