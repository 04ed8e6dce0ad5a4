# Sourced by tests/sanitizers.sh and tests/fuzz.sh: configures the
# one clang tree they share (build-clang/: ASan + UBSan on every target,
# -Wthread-safety as an error, and the libFuzzer targets), so CI compiles
# the project with clang once for all three jobs. The Verilated FPGA models
# are left out (SEEDLM_FPGA=OFF): instrumenting generated RTL simulation code
# would cost CI minutes and checks no code of ours (the gcc tree runs the
# fpga tests).
#
# Sets: repo, clang_build. Env: SEEDLM_CLANG_BUILD_DIR (default
# <repo>/build-clang).
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clang_build="${SEEDLM_CLANG_BUILD_DIR:-${repo}/build-clang}"
if [[ ! -f "${clang_build}/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -G Ninja -S "${repo}" -B "${clang_build}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEEDLM_SANITIZE=ON -DSEEDLM_FUZZ=ON \
    -DSEEDLM_FPGA=OFF \
    >/dev/null
fi
