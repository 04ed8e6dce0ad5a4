#!/usr/bin/env bash
# The sanitizer jobs of CI (docs/ARCHITECTURE.md, "Builds").
#
#   asan: builds every target in the shared clang tree build-clang/
#         (tests/clang_tree.sh: ASan + UBSan, -Wthread-safety as an error)
#         and runs the unit tests under it: every ctest test except the
#         `long` ones and the cross-process end-to-end tests (their child
#         binaries are instrumented too, but they repeat what the unit tests
#         cover at 3-5x the time).
#   tsan: builds the concurrency tests (util_concurrency_test: thread pool
#         and shared caches; fast_search_test: multi-threaded searches;
#         coordinator_lease_table_test: workers racing for leases;
#         coordinator_test: the coordinator's planner, assembler and ticker
#         threads against its callers; coordinator_metrics_test: the
#         metrics' collect hook against those threads; runtime_batch_engine_test: the
#         batching engine's thread against submitters and readers;
#         executor_pool_test: executors attaching and failing while the
#         pool plans and runs steps) in
#         build-tsan/ with ThreadSanitizer and runs them. Shared state is
#         guarded by seedlm::Mutex (core/util/mutex.h, std::mutex underneath):
#         Debian's Abseil is not TSan-instrumented, so absl::Mutex would be
#         invisible to TSan and every guarded access a false race.
#
# Usage: tests/sanitizers.sh [asan|tsan|all]   (default all)
# Env:   JOBS (default 2), SEEDLM_CLANG_BUILD_DIR, SEEDLM_TSAN_BUILD_DIR.
set -euo pipefail

what="${1:-all}"
jobs="${JOBS:-2}"
source "$(dirname "${BASH_SOURCE[0]}")/clang_tree.sh"
tsan_build="${SEEDLM_TSAN_BUILD_DIR:-${repo}/build-tsan}"
# halt_on_error + abort: the first report fails the test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

if [[ "${what}" == asan || "${what}" == all ]]; then
  echo "[sanitizers] asan+ubsan build (${clang_build})"
  ninja -C "${clang_build}" -j "${jobs}"
  echo "[sanitizers] asan+ubsan unit tests"
  ctest --test-dir "${clang_build}" -j "${jobs}" --output-on-failure \
    --timeout 900 -LE long \
    -E '^(cli_e2e_test|runtime_cli_test|service_e2e_test|service_errors_test|serve_e2e_test|executor_e2e_test|prometheus_scrape_test|dashboard_browser_test)$'
fi

if [[ "${what}" == tsan || "${what}" == all ]]; then
  if [[ ! -f "${tsan_build}/build.ninja" ]]; then
    CC=clang CXX=clang++ cmake -G Ninja -S "${repo}" -B "${tsan_build}" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEEDLM_TSAN=ON -DSEEDLM_FPGA=OFF >/dev/null
  fi
  echo "[sanitizers] tsan build (${tsan_build})"
  ninja -C "${tsan_build}" -j "${jobs}" util_concurrency_test fast_search_test \
    coordinator_lease_table_test coordinator_test coordinator_metrics_test \
    runtime_batch_engine_test executor_pool_test
  echo "[sanitizers] tsan concurrency tests"
  ctest --test-dir "${tsan_build}" -j 1 --output-on-failure --timeout 900 \
    -R '^(util_concurrency_test|fast_search_test|coordinator_lease_table_test|coordinator_test|coordinator_metrics_test|runtime_batch_engine_test|executor_pool_test)$'
fi
