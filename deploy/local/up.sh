#!/usr/bin/env bash
# Starts a coordinator and N workers on this machine, for trying the
# compression service:  deploy/local/up.sh [N] (default 2).
#
#   SEEDLM_BIN     where the binaries are (default: build/bin of this checkout)
#   SEEDLM_LOCAL   state, logs and PID files (default: /tmp/seedlm-local)
#   SEEDLM_LISTEN  coordinator address (default: 127.0.0.1:50051)
#   SEEDLM_MODEL_ROOT  models jobs may name with --server-path (optional)
#   SEEDLM_WORKER_THREADS  search threads per worker (default: all cores / N)
#   SEEDLM_HTTP    the coordinator's HTTP port: dashboard, JSON API, /metrics
#                  (default: 127.0.0.1:0, any free port; the URL is printed)
#
# Then:  build/bin/seedlm submit --coordinator 127.0.0.1:50051 MODEL OUT.seedlm
# Stop everything with deploy/local/down.sh (by the PIDs recorded here).
set -euo pipefail
N="${1:-2}"
if ! [[ "$N" =~ ^[0-9]+$ ]] || (( N < 0 || N > 256 )); then
  echo "usage: $0 [N workers, 0..256]" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${SEEDLM_BIN:-$ROOT/build/bin}"
DIR="${SEEDLM_LOCAL:-/tmp/seedlm-local}"
LISTEN="${SEEDLM_LISTEN:-127.0.0.1:50051}"
for b in seedlm-coordinator seedlm-worker; do
  [[ -x "$BIN/$b" ]] || { echo "$BIN/$b is missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p "$DIR"
if [[ -f "$DIR/coordinator.pid" ]] && kill -0 "$(cat "$DIR/coordinator.pid")" 2>/dev/null; then
  echo "already running (PID $(cat "$DIR/coordinator.pid")); run down.sh first" >&2
  exit 1
fi
rm -f "$DIR/ready.json"
args=(--state-dir "$DIR/state" --listen "$LISTEN" --ready-file "$DIR/ready.json"
  --http "${SEEDLM_HTTP:-127.0.0.1:0}")
[[ -n "${SEEDLM_MODEL_ROOT:-}" ]] && args+=(--model-root "$SEEDLM_MODEL_ROOT")
"$BIN/seedlm-coordinator" "${args[@]}" 2>"$DIR/coordinator.log" &
echo $! >"$DIR/coordinator.pid"
for _ in $(seq 1 300); do
  [[ -f "$DIR/ready.json" ]] && break
  kill -0 "$(cat "$DIR/coordinator.pid")" 2>/dev/null || {
    echo "the coordinator failed to start:" >&2; cat "$DIR/coordinator.log" >&2; exit 1; }
  sleep 0.1
done
[[ -f "$DIR/ready.json" ]] || { echo "the coordinator did not start in 30 s" >&2; exit 1; }
# The address it bound (SEEDLM_LISTEN may say port 0).
LISTEN="$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$DIR/ready.json")"
HTTP="$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "$DIR/ready.json")"
threads="${SEEDLM_WORKER_THREADS:-$(( $(nproc) / (N > 0 ? N : 1) ))}"
(( threads >= 1 )) || threads=1
for i in $(seq 1 "$N"); do
  "$BIN/seedlm-worker" --coordinator "$LISTEN" --threads "$threads" \
    --name "local-$i" 2>"$DIR/worker$i.log" &
  echo $! >"$DIR/worker$i.pid"
done
echo "coordinator on $LISTEN (log $DIR/coordinator.log), $N worker(s) of $threads thread(s)"
echo "dashboard: http://$HTTP/  (JSON API http://$HTTP/api/v1/jobs, metrics http://$HTTP/metrics)"
