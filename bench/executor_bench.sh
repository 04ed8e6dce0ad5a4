#!/usr/bin/env bash
# Attached executors (issue 15): decode speed of one model served in-process
# and with 1, 2, ... attached seedlm-executor processes, each with 1 thread,
# on this machine over loopback; the time each executor takes to attach and
# load; the weights it holds (streamed as stored) against the bf16 / fp32
# size of the same layers; and each executor's peak RSS.
#
#   bench/executor_bench.sh MODEL [--tokenizer F] [--tokens N] [--runs N]
#                           [--executors N] [--ctx N] [--bin DIR]
#
# Tokens/s is decode speed: (generated - 1) / (total - first token) of one
# greedy request (batch 1), the median of --runs runs after a warm-up. The
# per-token difference between k executors and in-process is the cost of
# the network hops (k + 1 round trips per token on loopback, with the
# hidden state serialized each way). Everything it starts is stopped by PID.
set -euo pipefail

model="" tokenizer="" tokens=32 runs=3 max_executors=2 ctx=256
bin="$(cd "$(dirname "$0")/.." && pwd)/build/bin"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tokenizer) tokenizer="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --executors) max_executors="$2"; shift 2 ;;
    --ctx) ctx="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -*) echo "unknown flag $1" >&2; exit 2 ;;
    *) model="$1"; shift ;;
  esac
done
[[ -n "$model" ]] || { sed -n 2,16p "$0" >&2; exit 2; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local until=$((SECONDS + $1)); shift
  until "$@" 2>/dev/null; do
    [[ $SECONDS -lt $until ]] || return 1
    sleep 0.1
  done
}

serve_args=(--model "$model" --listen 127.0.0.1:0 --http 127.0.0.1:0
  --threads 1 --max-batch 1 --max-queue 0 --ctx "$ctx"
  --ready-file "$work/ready")
[[ -n "$tokenizer" ]] && serve_args+=(--tokenizer "$tokenizer")
"$bin/seedlm-serve" "${serve_args[@]}" 2> "$work/serve.log" &
pids+=($!)
wait_for 600 test -s "$work/ready" || { cat "$work/serve.log"; exit 1; }
grpc=$(json 'd["listen"]' < "$work/ready")
http=$(json 'd["http"]' < "$work/ready")
attached() {  # attached N: N executors hold layers
  [[ $(curl -sf "http://$http/v1/executors" |
    json 'sum(1 for e in d["executors"] if e["layers"][1] > e["layers"][0])') \
    == "$1" ]]
}

decode_rate() {  # prints "tokens/s ms/token", median of $runs runs
  "$bin/seedlm" complete --server "$grpc" --prompt "Once upon a time" \
    --max-tokens 4 --temperature 0 > /dev/null 2>&1
  local rates=()
  for _ in $(seq "$runs"); do
    rates+=("$("$bin/seedlm" complete --server "$grpc" \
      --prompt "Once upon a time" --max-tokens "$tokens" --temperature 0 \
      --json | json '(d["completion_tokens"] - 1) / (d["total_seconds"] - d["first_token_seconds"])')")
  done
  printf '%s\n' "${rates[@]}" | sort -g | awk -v n="$runs" \
    '{a[NR]=$1} END {r=a[int((n+1)/2)]; printf "%.3f %.2f\n", r, 1000/r}'
}

printf '| executors | plan | decode tok/s | ms/token | Δ ms/token vs in-process | attach + load s | executor peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|\n'
read -r base_rate base_ms < <(decode_rate)
printf '| 0 (in-process) | - | %s | %s | - | - | - |\n' "$base_rate" "$base_ms"
for n in $(seq "$max_executors"); do
  t0=$(date +%s.%N)
  "$bin/seedlm-executor" --server "$grpc" --threads 1 --name "bench$n" \
    2> "$work/executor$n.log" &
  pids+=($!)
  wait_for 1800 attached "$n" || { cat "$work/serve.log" "$work/executor$n.log"; exit 1; }
  t1=$(date +%s.%N)
  plan=$(curl -sf "http://$http/v1/executors" |
    json '" ".join("%s[%d,%d)" % (e["id"], e["layers"][0], e["layers"][1]) for e in d["executors"])')
  read -r rate ms < <(decode_rate)
  rss=""
  for p in "${pids[@]:1}"; do
    rss+="$(awk '/VmHWM/ {printf "%.0f ", $2 / 1024}' "/proc/$p/status")"
  done
  printf '| %d | %s | %s | %s | %+.2f | %.1f | %s|\n' "$n" "$plan" "$rate" \
    "$ms" "$(echo "$ms - $base_ms" | bc -l)" "$(echo "$t1 - $t0" | bc -l)" "$rss"
done
echo
echo "server log (plans and what each executor holds):"
grep -E "executor loaded|plan applied" "$work/serve.log" | sed 's/^/  /'
