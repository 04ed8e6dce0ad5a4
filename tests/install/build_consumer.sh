# Sourced by install_test.sh and deb_check.sh (after `fail`, ROOT and TMP are
# set): configures and builds the consumer project tests/install/consumer
# (docs/API.md's programs) into DIR, and fails unless find_package found
# seedlm's CMake package in WANT_DIR.
#
#   build_consumer DIR WANT_DIR [cmake args...]
build_consumer() {
  local cb="$1" want="$2"
  shift 2
  timeout 120 cmake -G Ninja -S "$ROOT/tests/install/consumer" -B "$cb" \
    -DCMAKE_BUILD_TYPE=Release "$@" >"$TMP/consumer-cmake.log" 2>&1 ||
    { cat "$TMP/consumer-cmake.log" >&2; fail "configuring the consumer"; }
  grep -qxF "seedlm_DIR:PATH=$want" "$cb/CMakeCache.txt" ||
    fail "the consumer found seedlm elsewhere: $(grep '^seedlm_DIR' "$cb/CMakeCache.txt")"
  timeout 300 ninja -C "$cb" -j2 >"$TMP/consumer-build.log" 2>&1 ||
    { cat "$TMP/consumer-build.log" >&2; fail "building the consumer"; }
}
