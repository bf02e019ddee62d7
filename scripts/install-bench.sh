#!/usr/bin/env bash
# Installs the peers the benchmarks compare against (not needed to use or test Bandmate).
set -euo pipefail
missing=()
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || missing+=(fluid-soundfont-gm)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
# The listening benchmark's baseline (librosa) and metrics (mir_eval): the "bench" extra.
VENV="${VENV:-.venv}"
"$VENV/bin/pip" install -q -c requirements.lock -e '.[dev,ml,bench]'
