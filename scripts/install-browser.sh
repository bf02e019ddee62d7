#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (tests/browser/), when it is missing.
# Idempotent: does nothing when /usr/bin/chromium exists. Playwright drives this browser
# (executable_path="/usr/bin/chromium"); never run `playwright install`, which downloads one.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by tests/browser/)." >&2
    exit 1
fi
echo "Installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium
