#!/usr/bin/env bash
# Creates the virtual environment and installs Bandmate with its pinned dependencies.
# Idempotent: a second run only installs what is missing. Called by `make install`.
set -euo pipefail

PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    echo "Bandmate needs Python 3.11 (found: $("$PYTHON" --version 2>&1 || echo none))." >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)
# torch first and alone: `torch==2.13.0` takes the local CPU wheel; never a CUDA build.
"${pip[@]}" install -c requirements.lock torch==2.13.0
"${pip[@]}" install -c requirements.lock -e '.[dev,ml]'
# tinysoundfont declares pyaudio (live playback, which we never use); it does not build here.
"${pip[@]}" install -c requirements.lock --no-deps tinysoundfont
# The browser side: yjs (the golden tests run it with node) and, later, the studio build.
if [ -f web/package-lock.json ]; then
    if ! command -v npm >/dev/null; then
        echo "Bandmate needs Node.js 20+ with npm for web/ (apt-get install nodejs npm)." >&2
        exit 1
    fi
    npm ci --prefix web --no-audit --no-fund --loglevel=error
    # The studio client, served by `bandmate serve` from web/dist.
    npm run build --prefix web --silent
fi
# Debian's chromium for the browser tests (a no-op when it is there).
bash scripts/install-browser.sh
echo "Installed Bandmate into $VENV"
