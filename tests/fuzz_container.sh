#!/usr/bin/env bash
# Builds the .seedlm container fuzzer (clang, libFuzzer + ASan + UBSan) in
# the shared clang tree build-clang/ (tests/clang_tree.sh) and runs it for
# N seconds (default 60) on a scratch copy of the committed corpus core/format/testdata/fuzz/. New crashers are written to
# build-clang/fuzz-artifacts/; copy any into core/format/testdata/fuzz/ (after
# fixing the bug) so container_fuzz_regression_test keeps checking them.
#
# Usage: tests/fuzz_container.sh [SECONDS]     (from anywhere in the repo)
# Env:   SEEDLM_CLANG_BUILD_DIR (default <repo>/build-clang), JOBS (default 2)
# Exit:  0 if the fuzzer ran the whole time without finding anything.
set -euo pipefail

seconds="${1:-60}"
source "$(dirname "${BASH_SOURCE[0]}")/clang_tree.sh"
build="${clang_build}"
jobs="${JOBS:-2}"

ninja -C "${build}" -j "${jobs}" container_fuzz

corpus="${build}/fuzz-corpus"
artifacts="${build}/fuzz-artifacts"
mkdir -p "${corpus}" "${artifacts}"
cp -n "${repo}"/core/format/testdata/fuzz/* "${corpus}/" 2>/dev/null || true

# -rss_limit_mb / -malloc_limit_mb: an input must never make the reader
# allocate much; -max_len covers the seed files with room to grow.
"${build}/bin/container_fuzz" "${corpus}" \
  -max_total_time="${seconds}" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=256 \
  -artifact_prefix="${artifacts}/" -print_final_stats=1
