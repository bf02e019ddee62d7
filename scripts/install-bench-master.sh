#!/usr/bin/env bash
# Installs matchering 2.0.6, the peer of bench/master.py, into its own virtual environment
# (.venv-bench by default, or $VENV). It is kept apart from .venv because it pins its own
# numpy/scipy stack and is not needed to use or test Bandmate.
set -euo pipefail
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV="${VENV:-.venv-bench}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "matchering==2.0.6"
"$VENV/bin/python" -c "import matchering; print('matchering', matchering.__version__, 'in', '$VENV')"
