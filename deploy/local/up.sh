#!/usr/bin/env bash
# Starts the SeedLM service on this machine: a coordinator and N workers (the
# compression service) and, with SEEDLM_SERVE_MODEL, seedlm-serve on that
# model with attached executors (the inference service). `make up` runs it;
# deploy/local/down.sh (`make down`) stops everything by the recorded PIDs.
#
#   deploy/local/up.sh [N]   N workers (default 2)
#
#   SEEDLM_BIN     where the binaries are (default: build/bin of this checkout)
#   SEEDLM_LOCAL   state, logs, PID files and endpoints.env (default:
#                  /tmp/seedlm-local)
#   SEEDLM_LISTEN  coordinator gRPC address (default: 127.0.0.1:50051; port 0
#                  picks a free one)
#   SEEDLM_HTTP    the coordinator's HTTP port: dashboard, JSON API, /metrics
#                  (default: 127.0.0.1:0, any free port; the URL is printed)
#   SEEDLM_MODEL_ROOT  models jobs may name with --server-path (optional)
#   SEEDLM_WORKER_THREADS  search threads per worker (default: all cores / N)
#   SEEDLM_SERVE_MODEL     a model for seedlm-serve (off when empty)
#   SEEDLM_SERVE_LISTEN    its gRPC address (default: 127.0.0.1:50061)
#   SEEDLM_SERVE_HTTP      its HTTP address (default: 127.0.0.1:8080)
#   SEEDLM_EXECUTORS       executors attached to it (default: 1)
#
# The bound addresses go to $SEEDLM_LOCAL/endpoints.env (COORDINATOR,
# DASHBOARD, SERVE_GRPC, SERVE_HTTP) for scripts to source.
set -euo pipefail
N="${1:-2}"
if ! [[ "$N" =~ ^[0-9]+$ ]] || (( N < 0 || N > 256 )); then
  echo "usage: $0 [N workers, 0..256]" >&2
  exit 2
fi
EXECUTORS="${SEEDLM_EXECUTORS:-1}"
if ! [[ "$EXECUTORS" =~ ^[0-9]+$ ]] || (( EXECUTORS > 64 )); then
  echo "SEEDLM_EXECUTORS must be 0..64" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${SEEDLM_BIN:-$ROOT/build/bin}"
DIR="${SEEDLM_LOCAL:-/tmp/seedlm-local}"
LISTEN="${SEEDLM_LISTEN:-127.0.0.1:50051}"
SERVE_MODEL="${SEEDLM_SERVE_MODEL:-}"
need=(seedlm-coordinator seedlm-worker)
[[ -n "$SERVE_MODEL" ]] && need+=(seedlm-serve seedlm-executor)
for b in "${need[@]}"; do
  [[ -x "$BIN/$b" ]] || { echo "$BIN/$b is missing: run 'make build' first" >&2; exit 1; }
done
if [[ -n "$SERVE_MODEL" && ! -f "$SERVE_MODEL" ]]; then
  echo "SEEDLM_SERVE_MODEL: no such file: $SERVE_MODEL" >&2
  exit 1
fi
mkdir -p "$DIR"
if [[ -f "$DIR/coordinator.pid" ]] && kill -0 "$(cat "$DIR/coordinator.pid")" 2>/dev/null; then
  echo "already running (PID $(cat "$DIR/coordinator.pid")); run down.sh first" >&2
  exit 1
fi

# ready_value FILE KEY: a string field of a ready file's one-line JSON.
ready_value() { sed -n "s/.*\"$2\": \"\\([^\"]*\\)\".*/\\1/p" "$1"; }

# wait_ready NAME PIDFILE READYFILE LOG: up to 30 s for the ready file.
wait_ready() {
  for _ in $(seq 1 300); do
    [[ -s "$3" ]] && return 0
    kill -0 "$(cat "$2")" 2>/dev/null || {
      echo "$1 failed to start:" >&2; cat "$4" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not start in 30 s (log: $4)" >&2
  exit 1
}

# A failure part-way stops whatever this run started.
trap 'rc=$?; (( rc == 0 )) || SEEDLM_LOCAL="$DIR" "$ROOT/deploy/local/down.sh" >/dev/null' EXIT
rm -f "$DIR/ready.json" "$DIR/serve_ready.json" "$DIR/endpoints.env"
args=(--state-dir "$DIR/state" --listen "$LISTEN" --ready-file "$DIR/ready.json"
  --http "${SEEDLM_HTTP:-127.0.0.1:0}")
[[ -n "${SEEDLM_MODEL_ROOT:-}" ]] && args+=(--model-root "$SEEDLM_MODEL_ROOT")
"$BIN/seedlm-coordinator" "${args[@]}" >"$DIR/coordinator.log" 2>&1 &
echo $! >"$DIR/coordinator.pid"
wait_ready coordinator "$DIR/coordinator.pid" "$DIR/ready.json" "$DIR/coordinator.log"
# The addresses it bound (SEEDLM_LISTEN may say port 0).
LISTEN="$(ready_value "$DIR/ready.json" listen)"
HTTP="$(ready_value "$DIR/ready.json" http)"
threads="${SEEDLM_WORKER_THREADS:-$(( $(nproc) / (N > 0 ? N : 1) ))}"
(( threads >= 1 )) || threads=1
for i in $(seq 1 "$N"); do
  "$BIN/seedlm-worker" --coordinator "$LISTEN" --threads "$threads" \
    --name "local-$i" >"$DIR/worker$i.log" 2>&1 &
  echo $! >"$DIR/worker$i.pid"
done
{
  echo "COORDINATOR=$LISTEN"
  echo "DASHBOARD=http://$HTTP/"
} >"$DIR/endpoints.env.tmp"
echo "coordinator on $LISTEN (log $DIR/coordinator.log), $N worker(s) of $threads thread(s)"
echo "dashboard: http://$HTTP/  (JSON API http://$HTTP/api/v1/jobs, metrics http://$HTTP/metrics)"

if [[ -n "$SERVE_MODEL" ]]; then
  "$BIN/seedlm-serve" --model "$SERVE_MODEL" \
    --listen "${SEEDLM_SERVE_LISTEN:-127.0.0.1:50061}" \
    --http "${SEEDLM_SERVE_HTTP:-127.0.0.1:8080}" \
    --ready-file "$DIR/serve_ready.json" >"$DIR/serve.log" 2>&1 &
  echo $! >"$DIR/serve.pid"
  wait_ready seedlm-serve "$DIR/serve.pid" "$DIR/serve_ready.json" "$DIR/serve.log"
  SERVE_GRPC="$(ready_value "$DIR/serve_ready.json" listen)"
  SERVE_HTTP="$(ready_value "$DIR/serve_ready.json" http)"
  for i in $(seq 1 "$EXECUTORS"); do
    "$BIN/seedlm-executor" --server "$SERVE_GRPC" --name "local-exec-$i" \
      --threads 1 >"$DIR/executor$i.log" 2>&1 &
    echo $! >"$DIR/executor$i.pid"
  done
  # Attached when /v1/executors lists them all with a layer range (60 s).
  attached=0
  for _ in $(seq 1 600); do
    attached="$(curl -s --max-time 2 "http://$SERVE_HTTP/v1/executors" |
      grep -o '"layers":\[[0-9]*,[0-9]*\]' |
      awk -F'[][,]' '$3 > $2' | wc -l || true)"
    (( attached >= EXECUTORS )) && break
    sleep 0.1
  done
  if (( attached < EXECUTORS )); then
    echo "only $attached of $EXECUTORS executor(s) attached in 60 s (logs: $DIR/executor*.log)" >&2
    exit 1
  fi
  {
    echo "SERVE_GRPC=$SERVE_GRPC"
    echo "SERVE_HTTP=$SERVE_HTTP"
  } >>"$DIR/endpoints.env.tmp"
  echo "seedlm-serve on $SERVE_MODEL: gRPC $SERVE_GRPC, HTTP http://$SERVE_HTTP/ (log $DIR/serve.log), $EXECUTORS executor(s) attached"
fi
mv "$DIR/endpoints.env.tmp" "$DIR/endpoints.env"
