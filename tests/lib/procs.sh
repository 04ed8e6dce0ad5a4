# Sourced by the shell tests that start real processes (health_probe_test,
# docker/runtime_files_test, install/install_test): a temp dir, the PIDs they
# start stopped at exit (SIGTERM, then SIGKILL after 10 s), one-line
# failures, and waiting for a --ready-file.
#
#   source "$ROOT/tests/lib/procs.sh"; procs_init
#   cmd ... --ready-file "$TMP/x.json" 2>"$TMP/x.log" & PIDS+=("$!")
#   wait_ready "$TMP/x.json" "$!" "$TMP/x.log"
#   ADDR="$(ready_value "$TMP/x.json" listen)"

# Sets TMP (a new temp dir, removed at exit) and PIDS (stopped at exit).
procs_init() {
  TMP="$(mktemp -d)"
  PIDS=()
  trap procs_cleanup EXIT
}

procs_cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_ready FILE PID [LOG]: up to 30 s for FILE to be written; fails (with
# LOG's text) if PID exits first.
wait_ready() {
  for _ in $(seq 1 300); do
    [[ -s "$1" ]] && return 0
    kill -0 "$2" 2>/dev/null ||
      fail "process $2 died before it was ready${3:+: $(cat "$3")}"
    sleep 0.1
  done
  fail "no $1 within 30 s"
}

# ready_value FILE KEY: a string field of a ready file's one-line JSON.
ready_value() { sed -n "s/.*\"$2\": \"\\([^\"]*\\)\".*/\\1/p" "$1"; }
