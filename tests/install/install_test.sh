#!/usr/bin/env bash
# `cmake --install` end to end: installs the build tree into a temp prefix,
# checks the installed tree (files, header closure, no paths back into the
# build or source tree), builds docs/API.md's examples (tests/install/
# consumer/) against it with find_package(seedlm), and runs them for real:
#   - generate: its text equals `seedlm generate` on the same .seedlm file
#     and prompt (greedy);
#   - submit: against a real seedlm-coordinator and seedlm-worker on
#     127.0.0.1:0, its downloaded file is byte-identical to `seedlm compress`.
#   tests/install/install_test.sh [BUILD_DIR]   (default: build)
# Writes only under its mktemp -d directory; stops what it starts by PID.
# Without ../shared/data the running half is skipped (exit 77), or fails
# with SEEDLM_REQUIRE_SHARED_DATA=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
BIN="$BUILD/bin"
MODEL="$ROOT/../shared/data/stories260K/stories260K.bin"
PROMPT="Once upon a time"
# shellcheck source=tests/lib/procs.sh
source "$ROOT/tests/lib/procs.sh"
# shellcheck source=tests/install/build_consumer.sh
source "$ROOT/tests/install/build_consumer.sh"
procs_init
step() { echo "== $* ($(( SECONDS ))s)"; }

step "docs/API.md examples = tests/install/consumer"
bash "$ROOT/tests/install/api_doc_check.sh"

step "cmake --install $BUILD --prefix \$TMP/prefix"
P="$TMP/prefix"
timeout 120 cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" ||
  { cat "$TMP/install.log" >&2; fail "cmake --install"; }

step "the installed tree"
for f in bin/seedlm bin/seedlm-coordinator bin/seedlm-worker bin/seedlm-serve \
    bin/seedlm-executor lib/cmake/seedlm/seedlmConfig.cmake \
    lib/cmake/seedlm/seedlmConfigVersion.cmake \
    lib/cmake/seedlm/seedlmCoreTargets.cmake \
    lib/cmake/seedlm/seedlmClientTargets.cmake \
    lib/libseedlm_runtime.a lib/libseedlm_client.a \
    include/core/runtime/generate.h include/core/util/status_macros.h \
    include/client/lib/compression_client.h \
    include/seedlm/v1/compression.pb.h include/seedlm/v1/compression.grpc.pb.h \
    include/seedlm/v1/compression.proto; do
  [[ -e "$P/$f" ]] || fail "$f is not installed"
done
if [[ -x "$BIN/seedlm-health-probe" && ! -x "$P/bin/seedlm-health-probe" ]]; then
  fail "bin/seedlm-health-probe is built but not installed"
fi
# Completions: one per installed binary when the build generated them.
if [[ -d "$BUILD/completions" ]]; then
  for f in "$BUILD"/completions/*; do
    [[ -f "$P/share/bash-completion/completions/$(basename "$f")" ]] ||
      fail "completion $(basename "$f") is not installed"
  done
fi
# No tests' or fuzzers' helpers, no internal headers.
leaked="$(cd "$P/include" && find . -name '*_test*.h' -o -name '*_testing.h' \
  -o -name '*_internal.h' -o -name 'shared_data*.h' -o -name 'fake_*.h')"
[[ -z "$leaked" ]] || fail "test or internal headers installed: $leaked"
# Every project header an installed header includes is installed too.
missing="$(cd "$P/include" && grep -rhoE '#include "(core|client|proto|seedlm)/[^"]+"' . |
  sed 's/#include "\(.*\)"/\1/' | sort -u | while read -r h; do
    [[ -f "$h" ]] || echo "$h"; done)"
[[ -z "$missing" ]] || fail "installed headers include headers not installed: $missing"
# Relocatable: nothing in the CMake package points into the build or source tree.
if grep -rlF -e "$ROOT" -e "$BUILD" "$P/lib/cmake"; then
  fail "the installed CMake files name the build or source tree (above)"
fi
[[ "$("$P/bin/seedlm" --help 2>&1)" == *"usage: seedlm <command>"* ]] ||
  fail "the installed seedlm does not run"

step "build the consumer against the prefix"
CB="$TMP/consumer-build"
build_consumer "$CB" "$P/lib/cmake/seedlm" -DCMAKE_PREFIX_PATH="$P"
# Their include paths are the prefix's only, never the source tree's.
if grep -F -e "-I$ROOT" -e "isystem $ROOT" "$CB/build.ninja" | grep -q .; then
  fail "the consumer compiles against the source tree"
fi

step "COMPONENTS core alone loads no gRPC; an unknown component fails"
mkdir -p "$TMP/core-only"
cat >"$TMP/core-only/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.25)
project(core_only LANGUAGES CXX)
find_package(seedlm CONFIG REQUIRED COMPONENTS ${COMPS})
if(NOT TARGET seedlm::core OR TARGET seedlm::client OR TARGET gRPC::grpc++)
  message(FATAL_ERROR "COMPONENTS core: wrong targets")
endif()
EOF
cmake -S "$TMP/core-only" -B "$TMP/core-only/b1" -DCMAKE_PREFIX_PATH="$P" \
  -DCOMPS=core >"$TMP/core-only.log" 2>&1 ||
  { cat "$TMP/core-only.log" >&2; fail "find_package(seedlm COMPONENTS core)"; }
if cmake -S "$TMP/core-only" -B "$TMP/core-only/b2" -DCMAKE_PREFIX_PATH="$P" \
    -DCOMPS=bogus >"$TMP/core-only.log" 2>&1; then
  fail "find_package(seedlm COMPONENTS bogus) succeeded"
fi
grep -q "unknown component 'bogus'" "$TMP/core-only.log" ||
  { cat "$TMP/core-only.log" >&2; fail "no message for an unknown component"; }

if [[ ! -f "$MODEL" ]]; then
  if [[ "${SEEDLM_REQUIRE_SHARED_DATA:-0}" == 1 ]]; then
    fail "$MODEL is missing (SEEDLM_REQUIRE_SHARED_DATA=1)"
  fi
  echo "SKIP: $MODEL is missing: the examples were built, not run"
  exit 77
fi

step "seedlm compress (the reference file)"
timeout 300 "$BIN/seedlm" compress "$MODEL" "$TMP/local.seedlm" --threads 2 \
  >"$TMP/compress.log" 2>&1 || { cat "$TMP/compress.log" >&2; fail "seedlm compress"; }

step "the generate example vs seedlm generate"
timeout 60 "$CB/generate" "$TMP/local.seedlm" "$PROMPT" 48 \
  >"$TMP/gen_api.txt" 2>"$TMP/gen_api.err" ||
  { cat "$TMP/gen_api.err" >&2; fail "the generate example"; }
timeout 60 "$BIN/seedlm" generate "$TMP/local.seedlm" --prompt "$PROMPT" \
  --max-tokens 48 >"$TMP/gen_cli.txt" 2>/dev/null || fail "seedlm generate"
cmp "$TMP/gen_api.txt" "$TMP/gen_cli.txt" ||
  { diff "$TMP/gen_api.txt" "$TMP/gen_cli.txt" >&2 || true
    fail "the generate example's text differs from seedlm generate's"; }
[[ "$(head -c ${#PROMPT} "$TMP/gen_api.txt")" == "$PROMPT" ]] &&
  (( $(wc -c <"$TMP/gen_api.txt") > ${#PROMPT} + 20 )) ||
  fail "the generate example printed no continuation: $(cat "$TMP/gen_api.txt")"

step "a coordinator and a worker on 127.0.0.1:0"
"$BIN/seedlm-coordinator" --state-dir "$TMP/state" --listen 127.0.0.1:0 \
  --ready-file "$TMP/ready.json" 2>"$TMP/coordinator.log" &
PIDS+=($!)
wait_ready "$TMP/ready.json" "$!" "$TMP/coordinator.log"
ADDR="$(ready_value "$TMP/ready.json" listen)"
[[ "$ADDR" == 127.0.0.1:* ]] || fail "no address in $(cat "$TMP/ready.json")"
"$BIN/seedlm-worker" --coordinator "$ADDR" --threads 2 --name install-test \
  2>"$TMP/worker.log" &
PIDS+=($!)

step "the submit example against $ADDR"
timeout 300 "$CB/submit" "$ADDR" "$MODEL" "$TMP/remote.seedlm" \
  >"$TMP/submit.out" 2>"$TMP/submit.err" ||
  { cat "$TMP/submit.err" "$TMP/coordinator.log" "$TMP/worker.log" >&2
    fail "the submit example"; }
grep -q "^wrote $TMP/remote.seedlm: $(stat -c %s "$TMP/local.seedlm") bytes" \
  "$TMP/submit.out" || fail "unexpected output: $(cat "$TMP/submit.out")"
cmp "$TMP/remote.seedlm" "$TMP/local.seedlm" ||
  fail "the service's file differs from seedlm compress's"

echo "PASS: installed, built against the prefix, generate and submit match the CLI ($(( SECONDS ))s)"
