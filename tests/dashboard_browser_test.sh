#!/usr/bin/env bash
# ctest dashboard_browser_test: the coordinator dashboard in headless
# Chromium (tests/browser/dashboard_test.js). Installs playwright-core from
# tests/browser/package-lock.json when node_modules is missing (`npm ci`,
# also `make browser-deps`); uses Debian's /usr/bin/chromium (never a browser
# download). Fails (not skips) when node or chromium is missing.
#   tests/dashboard_browser_test.sh BIN_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:?usage: $0 BIN_DIR}"
command -v node >/dev/null || { echo "node is missing (Debian nodejs)" >&2; exit 1; }
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || {
  echo "chromium is missing (Debian chromium)" >&2; exit 1; }
if [[ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]]; then
  timeout 300 npm ci --prefix "$ROOT/tests/browser" --no-audit --no-fund
fi
exec timeout 170 node "$ROOT/tests/browser/dashboard_test.js" "$BIN"
