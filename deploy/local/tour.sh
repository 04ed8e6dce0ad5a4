#!/usr/bin/env bash
# The service half of `make demo`: the whole product on this machine, then
# everything stopped. Given MODEL and LOCAL (MODEL compressed by `seedlm
# compress` with PRESET), it
#   1. starts a coordinator, 2 workers, seedlm-serve on LOCAL and one
#      attached executor (deploy/local/up.sh, free loopback ports);
#   2. submits MODEL to the coordinator over gRPC (`seedlm submit`), prints
#      the dashboard URL and the job's progress, fetches the result and shows
#      that its bytes are identical to LOCAL's;
#   3. sends one OpenAI-style completion to seedlm-serve with curl (the
#      executor computes the layers it holds);
#   4. stops every process by PID (deploy/local/down.sh), also on failure.
#
# Usage: deploy/local/tour.sh MODEL LOCAL.seedlm [PRESET]
# Env:   SEEDLM_BIN (default build/bin)
set -euo pipefail
model="${1:?usage: tour.sh MODEL LOCAL.seedlm [PRESET]}"
local_out="${2:?usage: tour.sh MODEL LOCAL.seedlm [PRESET]}"
preset="${3:-4bit-p4}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="${SEEDLM_BIN:-$here/../../build/bin}"
export SEEDLM_BIN="$bin"
dir="$(mktemp -d)"
export SEEDLM_LOCAL="$dir"
cleanup() {
  echo
  echo "== stopping everything by PID"
  "$here/down.sh" || true
  rm -rf "$dir"
}
trap cleanup EXIT

echo "== the service on this machine: coordinator + 2 workers, seedlm-serve + 1 executor"
SEEDLM_LISTEN=127.0.0.1:0 SEEDLM_HTTP=127.0.0.1:0 SEEDLM_SERVE_MODEL="$local_out" \
  SEEDLM_SERVE_LISTEN=127.0.0.1:0 SEEDLM_SERVE_HTTP=127.0.0.1:0 SEEDLM_EXECUTORS=1 \
  "$here/up.sh" 2
# shellcheck disable=SC1091
source "$dir/endpoints.env"

echo
echo "== the same model compressed by the coordinator's workers over gRPC"
echo "\$ seedlm submit --coordinator $COORDINATOR $model remote.seedlm --preset $preset"
job="$("$bin/seedlm" submit --coordinator "$COORDINATOR" "$model" "$dir/remote.seedlm" \
  --preset "$preset" --name tour --detach 2>/dev/null)"
echo "job $job; dashboard: $DASHBOARD"
# Its progress as `seedlm watch --json` reports it (the JSON API's v1.Job
# shape, which the dashboard draws) until it ends: a line when the state
# changes and at every quarter of the work units.
timeout 120 "$bin/seedlm" watch "$job" --coordinator "$COORDINATOR" --json |
  jq -r --unbuffered '[.state, (.progress.units_done // 0),
    (.progress.units_total // 0), (.progress.blocks_total // 0)] | @tsv' |
  awk -F'\t' '{ q = ($3 > 0) ? int(4 * $2 / $3) : -1;
    if ($1 ~ /SUCCEEDED/) { printf "  %s: all %s blocks\n", $1, $4; fflush() }
    else if ($1 != s || q != lastq) {
      printf "  %s: %s/%s work units of %s blocks\n", $1, $2, $3, $4; fflush() }
    s = $1; lastq = q }'
"$bin/seedlm" fetch "$job" "$dir/remote.seedlm" --coordinator "$COORDINATOR"
if cmp -s "$local_out" "$dir/remote.seedlm"; then
  echo "identical bytes: local and distributed results are the same file"
  sha256sum "$local_out" "$dir/remote.seedlm" | sed "s|$dir/||"
else
  echo "the distributed result differs from the local one" >&2
  exit 1
fi

echo
echo "== one completion from seedlm-serve (its executor holds the layers)"
curl -s --max-time 5 "http://$SERVE_HTTP/v1/executors" | jq -c '.executors[] | {name, layers}'
body='{"prompt": "Once upon a time", "max_tokens": 40, "temperature": 0}'
echo "\$ curl -s http://$SERVE_HTTP/v1/completions -H 'Content-Type: application/json' -d '$body'"
reply="$(curl -sS --max-time 60 "http://$SERVE_HTTP/v1/completions" \
  -H 'Content-Type: application/json' -d "$body")"
echo "$reply" | jq .
echo "$reply" | jq -e '.choices[0].text | length > 0' >/dev/null
