#!/usr/bin/env bash
# Peak RSS (VmHWM) of each long-running binary under a small real load, for
# the pod requests/limits of deploy/k8s (docs/DEPLOY.md, "Pod sizes"). Not a
# test: a measurement, a few minutes on 2 cores.
#   tests/deploy/measure_rss.sh BIN_DIR STORIES_DIR [THREADS...]
# A 1-layer 512x4096 synthetic model goes through a coordinator and one
# worker per THREADS value (default: 1 2 4); then seedlm-serve on
# stories260K (compressed with the default preset) under 8 concurrent
# completions, then one executor attached to it. Everything runs in a
# mktemp -d directory on 127.0.0.1:0 and is stopped by PID.
set -euo pipefail
BIN="${1:?usage: $0 BIN_DIR STORIES_DIR [THREADS...]}"
STORIES="${2:?usage: $0 BIN_DIR STORIES_DIR [THREADS...]}"
shift 2
THREADS=("$@")
(( ${#THREADS[@]} )) || THREADS=(1 2 4)
D="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$D"
}
trap cleanup EXIT
hwm() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status"; }
wait_file() { for _ in $(seq 300); do [[ -s "$1" ]] && return 0; sleep 0.1; done; return 1; }
field() { sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p" "$2"; }

"$BIN/seedlm" synth "$D/m" --dim 512 --hidden 4096 --layers 1 --heads 8 --vocab 64 >/dev/null
for t in "${THREADS[@]}"; do
  "$BIN/seedlm-coordinator" --state-dir "$D/state$t" --listen 127.0.0.1:0 \
    --ready-file "$D/c$t.json" --model-root "$D" 2>"$D/c$t.log" &
  cp=$!; PIDS+=("$cp")
  wait_file "$D/c$t.json"
  echo "coordinator idle: $(hwm "$cp")"
  "$BIN/seedlm-worker" --coordinator "$(field listen "$D/c$t.json")" --threads "$t" \
    --name "w$t" 2>"$D/w$t.log" &
  wp=$!; PIDS+=("$wp")
  start=$(date +%s)
  timeout 900 "$BIN/seedlm" submit --coordinator "$(field listen "$D/c$t.json")" \
    --server-path m "$D/out$t.seedlm" >/dev/null 2>"$D/s$t.log"
  echo "job of 917,504 blocks, worker --threads $t: $(( $(date +%s) - start )) s;" \
    "worker $(hwm "$wp"), coordinator $(hwm "$cp")"
  kill "$wp" "$cp"; wait "$wp" "$cp" || true
done

"$BIN/seedlm" compress "$STORIES/stories260K.bin" "$D/s.seedlm" \
  --tokenizer "$STORIES/tok512.bin" >/dev/null 2>&1
"$BIN/seedlm-serve" --model "$D/s.seedlm" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --threads 2 --ready-file "$D/serve.json" 2>"$D/serve.log" &
sp=$!; PIDS+=("$sp")
wait_file "$D/serve.json"
http="$(field http "$D/serve.json")"
body='{"prompt": "Once upon a time", "max_tokens": 200, "temperature": 0}'
cpids=()
for _ in 1 2 3 4 5 6 7 8; do
  curl -s -m 60 "http://$http/v1/completions" -H 'Content-Type: application/json' \
    -d "$body" >/dev/null &
  cpids+=($!)
done
wait "${cpids[@]}" || true
echo "seedlm-serve stories260K, 8 concurrent streams: $(hwm "$sp")"
"$BIN/seedlm-executor" --server "$(field listen "$D/serve.json")" --threads 1 \
  2>"$D/ex.log" &
ep=$!; PIDS+=("$ep")
for _ in $(seq 100); do
  curl -s "http://$http/v1/executors" | grep -q '"ex-' && break
  sleep 0.1
done
curl -s -m 60 "http://$http/v1/completions" -H 'Content-Type: application/json' \
  -d "$body" >/dev/null
echo "executor on stories260K: $(hwm "$ep") ($(curl -s "http://$http/v1/executors"))"
