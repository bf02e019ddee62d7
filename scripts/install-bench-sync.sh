#!/usr/bin/env bash
# Installs the Node y-websocket server (@y/websocket-server 0.1.1, exact pins in
# bench/peers/package-lock.json), the peer of bench/sync_fanout.py, into bench/peers/node_modules.
# Idempotent: npm ci reinstalls exactly what the lock file names.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix bench/peers --no-audit --no-fund
echo "@y/websocket-server $(node -p "require('./bench/peers/node_modules/@y/websocket-server/package.json').version") in bench/peers"
