#!/usr/bin/env bash
# The distributed overhead of the compression service (issue 13, "Measure"):
# on one synthetic model, `seedlm compress --threads 1|2` against a
# coordinator with 1 worker of 1 thread and with 2 workers of 1 thread each,
# served through `seedlm submit` end to end (upload, compress, assembly,
# download), for each preset. Prints one table row per run, with the ratios
# to the local run of the same total thread count, and checks that every
# service output is byte-identical to the local one.
#
#   bench/service_bench.sh [--bin DIR] [--presets "4bit-p4 4bit"]
#       [--repeats N] [--dim 1024 --hidden 2816 --layers 2] [--keep]
#
# Columns: wall_s = the command's wall time (local compress, or submit end
# to end); blocks/s = the model's compressed blocks over wall_s; upload_s =
# submit's start to "job ID" (upload + SubmitJob); compute_s = job submitted
# to every block done (planning, leases, search, verification); asm_s = the
# coordinator's assembly (its log); fetch_s = job ended (a `seedlm watch`
# beside the submit) to submit's exit (download + sha256 check);
# compute_blocks/s = blocks over compute_s. x_local = the local run's
# wall_s over this one's (1.00 = as fast; below 1 = slower) at the same
# total thread count; x_compute the same with compute_s.
#
# Everything runs on 127.0.0.1 with port 0, under a temp directory that is
# removed at the end (--keep keeps it); servers are stopped by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/build/bin"
PRESETS="4bit-p4 4bit"
REPEATS=1
DIM=1024 HIDDEN=2816 LAYERS=2
KEEP=0
while (( $# )); do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --presets) PRESETS="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --dim) DIM="$2"; shift 2 ;;
    --hidden) HIDDEN="$2"; shift 2 ;;
    --layers) LAYERS="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for b in seedlm seedlm-coordinator seedlm-worker; do
  [[ -x "$BIN/$b" ]] || { echo "$BIN/$b is missing: build it first" >&2; exit 1; }
done
[[ "$REPEATS" =~ ^[1-9][0-9]*$ ]] || { echo "--repeats: a positive integer" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/seedlm-service-bench.XXXXXX")"
PIDS=()  # servers and helpers started here, stopped by PID
stop_pids() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_pids
  if (( KEEP )); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
# a / b printed with format $3 (default %.2f), "-" when b is not positive.
div() {
  awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" \
    'BEGIN { if (b > 0) printf f, a / b; else printf "-" }'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

# Prefixes each line of stdin with the time it arrived.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }

# Starts a coordinator with its state in $1; sets ADDR and COORD_LOG.
start_coordinator() {
  local dir="$1"
  mkdir -p "$dir"
  COORD_LOG="$dir/coordinator.log"
  "$BIN/seedlm-coordinator" --state-dir "$dir/state" --listen 127.0.0.1:0 \
    --ready-file "$dir/ready.json" 2>"$COORD_LOG" &
  PIDS+=($!)
  local i
  for i in $(seq 1 300); do
    [[ -f "$dir/ready.json" ]] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$COORD_LOG" >&2; exit 1; }
    sleep 0.1
  done
  [[ -f "$dir/ready.json" ]] || { echo "coordinator did not start" >&2; exit 1; }
  ADDR="$(sed -n 's/.*"listen": "\([^"]*\)".*/\1/p' "$dir/ready.json")"
}

# Starts $1 workers of 1 thread each and waits until all have registered.
start_workers() {
  local n="$1" dir="$2" i
  for i in $(seq 1 "$n"); do
    "$BIN/seedlm-worker" --coordinator "$ADDR" --threads 1 --name "bench-$i" \
      2>"$dir/worker$i.log" &
    PIDS+=($!)
  done
  for i in $(seq 1 300); do
    (( $(grep -c ' registered: ' "$COORD_LOG" || true) >= n )) && return 0
    sleep 0.1
  done
  echo "workers did not register" >&2; exit 1
}

# Sum of the compressed tensors' blocks in a `compress --json` report.
json_blocks() {
  awk -F': ' '/"blocks":/ { gsub(/[ ,]/, "", $2); s += $2 } END { print s }' "$1"
}

ROWS=()
row() { ROWS+=("$(printf '%-8s %-18s %3s %9s %10s %8s %8s %9s %7s %7s %11s %9s %9s  %s' "$@")"); }
row preset mode rep wall_s blocks/s x_local upload_s compute_s asm_s fetch_s \
  compute_b/s x_compute identical "load (1/5/15 min) at start"

MODEL="$WORK/model"
echo "synth: --dim $DIM --hidden $HIDDEN --layers $LAYERS -> $MODEL" >&2
"$BIN/seedlm" synth "$MODEL" --arch llama --dim "$DIM" --hidden "$HIDDEN" \
  --layers "$LAYERS" >/dev/null

declare -A LOCAL_WALL
for rep in $(seq 1 "$REPEATS"); do
  for preset in $PRESETS; do
    for t in 1 2; do
      out="$WORK/local-$preset-t$t.seedlm"
      l="$(load)"
      echo "local: $preset --threads $t (load $l)" >&2
      t0="$(now)"
      "$BIN/seedlm" compress "$MODEL" "$out" --preset "$preset" --threads "$t" \
        --json >"$WORK/local-$preset-t$t.json"
      wall="$(sub "$(now)" "$t0")"
      blocks="$(json_blocks "$WORK/local-$preset-t$t.json")"
      LOCAL_WALL[$preset-$t]="$wall"
      row "$preset" "local --threads $t" "$rep" "$wall" "$(div "$blocks" "$wall" %.0f)" \
        1.00 - - - - - - - "$l"
    done
    for n in 1 2; do
      dir="$WORK/svc-$preset-w$n-r$rep"
      l="$(load)"
      echo "service: $preset, $n worker(s) of 1 thread (load $l)" >&2
      start_coordinator "$dir"
      start_workers "$n" "$dir"
      out="$dir/out.seedlm"
      : >"$dir/submit.err"
      t0="$(now)"
      "$BIN/seedlm" submit --coordinator "$ADDR" "$MODEL" "$out" \
        --preset "$preset" >"$dir/submit.out" 2> >(stamp >"$dir/submit.err") &
      submit_pid=$!
      job="" watch_pid=""
      while kill -0 "$submit_pid" 2>/dev/null; do
        if [[ -z "$job" ]]; then
          job="$(sed -n 's/^\([0-9.]*\) seedlm submit: job \([^ ]*\) .*/\2/p' \
            "$dir/submit.err")"
          if [[ -n "$job" ]]; then
            ( "$BIN/seedlm" watch --coordinator "$ADDR" "$job" >/dev/null 2>&1
              now >"$dir/watch.end" ) &
            watch_pid=$!
          fi
        fi
        sleep 0.1
      done
      wait "$submit_pid" || { cat "$dir/submit.err" >&2; exit 1; }
      t_end="$(now)"
      [[ -n "$watch_pid" ]] && wait "$watch_pid"
      sleep 0.2  # the stamp filter's last lines
      t_job="$(sed -n 's/^\([0-9.]*\) seedlm submit: job .*/\1/p' "$dir/submit.err")"
      t_watch="$(cat "$dir/watch.end")"
      # "succeeded, N bytes in 1.234s of assembly" (absl duration: s or ms).
      asm="$(sed -n 's/.*succeeded, [0-9]* bytes in \([0-9.]*\)\(m\{0,1\}s\) of assembly.*/\1 \2/p' \
        "$COORD_LOG" | awk '{ printf "%.3f", ($2 == "ms") ? $1 / 1000 : $1 }')"
      "$BIN/seedlm" jobs --json --coordinator "$ADDR" >"$dir/jobs.json"
      blocks="$(sed -n 's/.*"blocks_total": \([0-9]*\).*/\1/p' "$dir/jobs.json" | head -1)"
      stop_pids
      wall="$(sub "$t_end" "$t0")"
      upload="$(sub "$t_job" "$t0")"
      compute="$(sub "$(sub "$t_watch" "$t_job")" "${asm:-0}")"
      fetch="$(sub "$t_end" "$t_watch")"
      same=no
      cmp -s "$out" "$WORK/local-$preset-t$n.seedlm" && same=yes
      local_wall="${LOCAL_WALL[$preset-$n]}"
      row "$preset" "service $n x 1 thr" "$rep" "$wall" "$(div "$blocks" "$wall" %.0f)" \
        "$(div "$local_wall" "$wall")" "$upload" "$compute" "${asm:--}" "$fetch" \
        "$(div "$blocks" "$compute" %.0f)" "$(div "$local_wall" "$compute")" "$same" "$l"
      [[ "$same" == yes ]] || { echo "service output differs from local" >&2; exit 1; }
      rm -rf "$dir/state" "$out"
    done
  done
done

echo
echo "model: seedlm synth --arch llama --dim $DIM --hidden $HIDDEN --layers $LAYERS;" \
  "$(nproc) cores; load at end $(load)"
printf '%s\n' "${ROWS[@]}"
