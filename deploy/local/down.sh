#!/usr/bin/env bash
# Stops what deploy/local/up.sh started, by the PIDs it recorded: SIGTERM
# (executors and workers first, then seedlm-serve and the coordinator; each
# drains), then SIGKILL for any still alive after 30 s.
set -uo pipefail
DIR="${SEEDLM_LOCAL:-/tmp/seedlm-local}"
shopt -s nullglob
pids=()
for f in "$DIR"/executor*.pid "$DIR"/worker*.pid "$DIR"/serve.pid \
  "$DIR"/coordinator.pid; do
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; pids+=("$pid"); fi
  rm -f "$f"
done
rm -f "$DIR/endpoints.env"
for _ in $(seq 1 300); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  (( alive )) || break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
echo "stopped ${#pids[@]} process(es)"
