#!/usr/bin/env bash
# Builds the libFuzzer targets in the shared clang tree build-clang/
# (tests/clang_tree.sh: libFuzzer + ASan + UBSan) and runs each for SECONDS
# (default 60) on a scratch copy of its committed corpus. New crashers land
# in build-clang/fuzz-artifacts/<fuzzer>/; after fixing the bug, copy them
# into the corpus directory so <fuzzer>_regression_test keeps checking them.
#
# Usage: tests/fuzz.sh [SECONDS] [FUZZER...]   (default: every fuzzer below)
# Env:   SEEDLM_CLANG_BUILD_DIR (default <repo>/build-clang), JOBS (default 2)
# Exit:  0 if every fuzzer ran its whole time without finding anything.
set -euo pipefail

seconds="${1:-60}"
shift || true
source "$(dirname "${BASH_SOURCE[0]}")/clang_tree.sh"
build="${clang_build}"
jobs="${JOBS:-2}"

# fuzzer -> seed corpus (relative to the repo) and -max_len.
declare -A corpus=(
  [container_fuzz]=core/format/testdata/fuzz
  [llama2c_tokenizer_fuzz]=core/tokenizer/testdata/fuzz_llama2c_tokenizer
  [tokenizer_json_fuzz]=core/tokenizer/testdata/fuzz_tokenizer_json
  [safetensors_fuzz]=core/model/testdata/fuzz_safetensors
  [gguf_fuzz]=core/model/testdata/fuzz_gguf
  [llama2c_fuzz]=core/model/testdata/fuzz_llama2c
  [hf_config_fuzz]=core/runtime/testdata/fuzz_hf_config
)
# tokenizer_json_fuzz: room for its largest seed (llama3_mini.json, 18 KB).
declare -A max_len=(
  [container_fuzz]=4096
  [llama2c_tokenizer_fuzz]=8192
  [tokenizer_json_fuzz]=20480
  [safetensors_fuzz]=4096
  [gguf_fuzz]=4096
  [llama2c_fuzz]=4096
  [hf_config_fuzz]=4096
)

fuzzers=("$@")
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  mapfile -t fuzzers < <(printf '%s\n' "${!corpus[@]}" | sort)
fi
ninja -C "${build}" -j "${jobs}" "${fuzzers[@]}"

for f in "${fuzzers[@]}"; do
  work="${build}/fuzz-corpus/${f}"
  artifacts="${build}/fuzz-artifacts/${f}"
  mkdir -p "${work}" "${artifacts}"
  cp -n "${repo}/${corpus[$f]}"/* "${work}/" 2>/dev/null || true
  echo "[fuzz] ${f}: ${seconds} s"
  # -rss_limit_mb / -malloc_limit_mb: no input may make a reader allocate
  # much; -timeout: none may take long (hangs are findings too).
  "${build}/bin/${f}" "${work}" \
    -max_total_time="${seconds}" -max_len="${max_len[$f]}" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=256 \
    -artifact_prefix="${artifacts}/" -print_final_stats=1
done
