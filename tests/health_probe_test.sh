#!/usr/bin/env bash
# ctest health_probe_test: seedlm-health-probe against real processes on
# loopback. A seedlm-coordinator (gRPC health service) -> exit 0; an unknown
# --service -> 1; a seedlm-worker's /healthz via --http -> 0; a socket that
# never answers -> 1 within --timeout; a TLS coordinator -> 0 with --tls-ca
# and 1 without; after SIGTERM (drain: NOT_SERVING,
# then the server goes away) -> 1 with the reason; a stopped worker -> 1;
# usage errors -> 2; with ../shared/data: seedlm-serve's gRPC health and an
# attached seedlm-executor's /healthz -> 0 (the data missing skips that
# part, or fails with SEEDLM_REQUIRE_SHARED_DATA=1). Everything started here
# is stopped by PID.
#   tests/health_probe_test.sh BIN_DIR
set -euo pipefail
BIN="${1:?usage: $0 BIN_DIR}"
PROBE="$BIN/seedlm-health-probe"
for b in seedlm-health-probe seedlm-coordinator seedlm-worker; do
  [[ -x "$BIN/$b" ]] || { echo "FAIL: $BIN/$b is missing" >&2; exit 1; }
done
# shellcheck source=tests/lib/procs.sh
source "$(dirname "$0")/lib/procs.sh"
procs_init

# Runs the probe (under a deadline); sets RC, OUT, ERR.
probe() {
  set +e
  timeout 30 "$PROBE" "$@" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  set -e
  OUT="$(cat "$TMP/out")"
  ERR="$(cat "$TMP/err")"
}
expect() {  # expect RC REGEX-ON-STDOUT+STDERR DESCRIPTION
  [[ "$RC" == "$1" ]] || fail "$3: exit $RC, want $1 (stdout '$OUT', stderr '$ERR')"
  [[ "$OUT$ERR" =~ $2 ]] || fail "$3: output '$OUT' '$ERR' does not match /$2/"
  echo "ok: $3 (exit $RC: ${OUT}${ERR})"
}

# Usage errors and --version.
probe; expect 2 "exactly one of --addr" "no address"
probe --addr 127.0.0.1:1 --timeout 0; expect 2 "--timeout" "bad --timeout"
probe --http 127.0.0.1:1 --service x; expect 2 "--service applies" "--service with --http"
probe --version; expect 0 "^seedlm-health-probe [0-9]+\.[0-9]+\.[0-9]+ " "--version"

"$BIN/seedlm-coordinator" --state-dir "$TMP/state" --listen 127.0.0.1:0 \
  --http 127.0.0.1:0 --ready-file "$TMP/coordinator.json" \
  2>"$TMP/coordinator.log" &
COORD=$!
PIDS+=("$COORD")
wait_ready "$TMP/coordinator.json" "$COORD"
ADDR="$(ready_value "$TMP/coordinator.json" listen)"
[[ "$ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "bad listen address '$ADDR'"

probe --addr "$ADDR" --timeout 5; expect 0 "status: SERVING" "coordinator serving"
probe --addr "$ADDR" --service no.such.Service
expect 1 "service \"no.such.Service\" is unknown to $ADDR" "unknown --service"
probe --addr "$ADDR" --tls-ca "$TMP/missing.pem"; expect 2 "--tls-ca" "unreadable CA"

"$BIN/seedlm-worker" --coordinator "$ADDR" --threads 1 --http 127.0.0.1:0 \
  --ready-file "$TMP/worker.json" 2>"$TMP/worker.log" &
WORKER=$!
PIDS+=("$WORKER")
wait_ready "$TMP/worker.json" "$WORKER"
WHTTP="$(ready_value "$TMP/worker.json" http)"
probe --http "$WHTTP"; expect 0 "status: SERVING" "worker /healthz"
# A gRPC probe at an HTTP/1 port is not healthy.
probe --addr "$WHTTP" --timeout 3; expect 1 "." "gRPC probe at an HTTP port"

# A socket that accepts and never answers: the deadline holds.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(120)' "$TMP/silent.port" &
SILENT=$!
PIDS+=("$SILENT")
for _ in $(seq 1 100); do [[ -s "$TMP/silent.port" ]] && break; sleep 0.1; done
SPORT="$(cat "$TMP/silent.port")"
start=$SECONDS
probe --addr "127.0.0.1:$SPORT" --timeout 1
expect 1 "127.0.0.1:$SPORT" "silent gRPC port"
(( SECONDS - start <= 4 )) || fail "silent gRPC port: took $((SECONDS - start)) s with --timeout 1"
start=$SECONDS
probe --http "127.0.0.1:$SPORT" --timeout 1; expect 1 "/healthz failed: no answer within 1s" "silent HTTP port"
(( SECONDS - start <= 5 )) || fail "silent HTTP port: took $((SECONDS - start)) s with --timeout 1"

# TLS: a coordinator serving a self-signed certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$TMP/key.pem" \
  -out "$TMP/cert.pem" 2>/dev/null || fail "openssl could not make a certificate"
"$BIN/seedlm-coordinator" --state-dir "$TMP/state-tls" --listen 127.0.0.1:0 \
  --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" \
  --ready-file "$TMP/tls.json" 2>"$TMP/tls.log" &
TLS_COORD=$!
PIDS+=("$TLS_COORD")
wait_ready "$TMP/tls.json" "$TLS_COORD"
TADDR="$(ready_value "$TMP/tls.json" listen)"
probe --addr "$TADDR" --tls-ca "$TMP/cert.pem"; expect 0 "status: SERVING" "TLS coordinator with --tls-ca"
probe --addr "$TADDR" --timeout 3; expect 1 "UNAVAILABLE|no answer" "TLS coordinator, plaintext probe"

# SIGTERM: the coordinator drains (health NOT_SERVING) and exits; the probe
# must turn unhealthy within seconds and say why.
kill -TERM "$COORD"
unhealthy=""
for _ in $(seq 1 100); do
  probe --addr "$ADDR" --timeout 2
  if [[ "$RC" != 0 ]]; then unhealthy=1; break; fi
  sleep 0.1
done
[[ -n "$unhealthy" ]] || fail "still SERVING 10 s after SIGTERM"
expect 1 "is NOT_SERVING|UNAVAILABLE" "coordinator draining"
set +e; timeout 30 tail --pid="$COORD" -f /dev/null; wait "$COORD"; crc=$?; set -e
[[ "$crc" == 0 ]] || fail "coordinator exit $crc after SIGTERM"
probe --addr "$ADDR" --timeout 2
expect 1 "health check of $ADDR failed: UNAVAILABLE: .*Connection refused" "stopped coordinator"

kill -TERM "$WORKER"
set +e; timeout 30 tail --pid="$WORKER" -f /dev/null; set -e
probe --http "$WHTTP" --timeout 2; expect 1 "/healthz failed: cannot connect" "stopped worker"

# seedlm-serve (gRPC health) and an attached seedlm-executor (/healthz), on
# the real stories260K model from ../shared/data.
DATA="$(cd "$(dirname "$0")/.." && pwd)/../shared/data/stories260K"
if [[ ! -f "$DATA/stories260K.bin" ]]; then
  [[ "${SEEDLM_REQUIRE_SHARED_DATA:-0}" == 1 ]] && fail "$DATA is missing"
  echo "skip: seedlm-serve and seedlm-executor ($DATA is missing)"
  echo "PASS"
  exit 0
fi
for b in seedlm-serve seedlm-executor; do
  [[ -x "$BIN/$b" ]] || fail "$BIN/$b is missing"
done
"$BIN/seedlm-serve" --model "$DATA/stories260K.bin" --tokenizer "$DATA/tok512.bin" \
  --listen 127.0.0.1:0 --http 127.0.0.1:0 --threads 1 \
  --ready-file "$TMP/serve.json" 2>"$TMP/serve.log" &
SERVE=$!
PIDS+=("$SERVE")
wait_ready "$TMP/serve.json" "$SERVE"
SADDR="$(ready_value "$TMP/serve.json" listen)"
probe --addr "$SADDR"; expect 0 "status: SERVING" "seedlm-serve gRPC health"
"$BIN/seedlm-executor" --server "$SADDR" --http 127.0.0.1:0 \
  --ready-file "$TMP/executor.json" 2>"$TMP/executor.log" &
EXECUTOR=$!
PIDS+=("$EXECUTOR")
wait_ready "$TMP/executor.json" "$EXECUTOR"
probe --http "$(ready_value "$TMP/executor.json" http)"
expect 0 "status: SERVING" "seedlm-executor /healthz"
echo "PASS"
