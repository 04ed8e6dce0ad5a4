#!/usr/bin/env bash
# Starts seedlm-serve on MODEL (HTTP and gRPC on free loopback ports), sends
# one OpenAI-style completion with curl, prints the reply, and stops the
# server by PID (SIGTERM: it drains, then exits). Used by `make demo`.
#
# Usage: deploy/local/serve_once.sh MODEL [PROMPT]
# Env:   BIN (default build/bin)
set -euo pipefail
model="${1:?usage: serve_once.sh MODEL [PROMPT]}"
prompt="${2:-Once upon a time}"
bin="${BIN:-build/bin}"
dir="$(mktemp -d)"
pid=""
cleanup() {
  if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  rm -rf "${dir}"
}
trap cleanup EXIT

"${bin}/seedlm-serve" --model "${model}" --http 127.0.0.1:0 \
  --listen 127.0.0.1:0 --ready-file "${dir}/ready" 2>"${dir}/log" &
pid=$!
for _ in $(seq 1 300); do
  [[ -s "${dir}/ready" ]] && break
  kill -0 "${pid}" 2>/dev/null || { cat "${dir}/log" >&2; exit 1; }
  sleep 0.1
done
[[ -s "${dir}/ready" ]] || { echo "seedlm-serve did not start" >&2; exit 1; }
http="$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "${dir}/ready")"
sed -n 1,2p "${dir}/log"
echo "\$ curl -s http://${http}/v1/completions -H 'Content-Type: application/json' \\"
echo "    -d '{\"prompt\": \"${prompt}\", \"max_tokens\": 40, \"temperature\": 0}'"
curl -sS --max-time 60 "http://${http}/v1/completions" \
  -H 'Content-Type: application/json' \
  -d "{\"prompt\": \"${prompt}\", \"max_tokens\": 40, \"temperature\": 0}"
echo
