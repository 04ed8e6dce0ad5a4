#!/usr/bin/env bash
# The Debian packages end to end (run by CI as root, not by ctest: it
# installs into /usr): `cpack -G DEB` from the build tree, the packages'
# Depends, dpkg -i, the installed `seedlm --version`, docs/API.md's examples
# (tests/install/consumer/) built against the system install with no
# CMAKE_PREFIX_PATH and run, then dpkg --purge of both packages.
#   sudo tests/install/deb_check.sh [BUILD_DIR]   (default: build)
# The packages' build dependencies (the build's apt line) must be installed.
# Refuses to run when seedlm or libseedlm-dev is already installed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
VERSION="$(head -n1 "$ROOT/VERSION")"
MODEL="$ROOT/../shared/data/stories260K/stories260K.bin"
PROMPT="Once upon a time"
PKGS=(libseedlm-dev seedlm)
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($(( SECONDS ))s)"; }
# shellcheck source=tests/install/build_consumer.sh
source "$ROOT/tests/install/build_consumer.sh"

(( EUID == 0 )) || fail "run as root (it installs the packages into /usr)"
for p in "${PKGS[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
    fail "$p is already installed: remove it first (dpkg --purge $p)"
  fi
done
TMP="$(mktemp -d)"
INSTALLED=0
cleanup() {
  if (( INSTALLED )); then dpkg --purge "${PKGS[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

step "cpack -G DEB"
start=$SECONDS
(cd "$BUILD" && timeout 300 cpack -G DEB -B "$TMP/pkg") >"$TMP/cpack.log" 2>&1 ||
  { cat "$TMP/cpack.log" >&2; fail "cpack"; }
echo "cpack: $(( SECONDS - start )) s"
arch="$(dpkg --print-architecture)"
RUN_DEB="$TMP/pkg/seedlm_${VERSION}_${arch}.deb"
DEV_DEB="$TMP/pkg/libseedlm-dev_${VERSION}_${arch}.deb"
for d in "$RUN_DEB" "$DEV_DEB"; do
  [[ -f "$d" ]] || fail "$(basename "$d") was not made: $(ls "$TMP/pkg")"
  echo "$(basename "$d"): $(stat -c %s "$d") bytes"
done

step "dpkg-deb -I"
dpkg-deb -I "$RUN_DEB" | tee "$TMP/run.info"
dpkg-deb -I "$DEV_DEB" | tee "$TMP/dev.info"
run_depends="$(sed -n 's/^ Depends: //p' "$TMP/run.info")"
dev_depends="$(sed -n 's/^ Depends: //p' "$TMP/dev.info")"
# dpkg-shlibdeps' work: the shared libraries the binaries link.
for lib in libc6 libstdc++6 'libgrpc++1.51' libprotobuf32 libabsl20220623 \
    libsqlite3-0 libssl3 libicu72 libre2-9; do
  [[ "$run_depends" == *"$lib"* ]] || fail "seedlm's Depends lacks $lib: $run_depends"
done
for dep in "seedlm (= $VERSION)" libabsl-dev 'libgrpc++-dev' libprotobuf-dev \
    protobuf-compiler-grpc nlohmann-json3-dev libre2-dev libicu-dev; do
  [[ "$dev_depends" == *"$dep"* ]] || fail "libseedlm-dev's Depends lacks $dep: $dev_depends"
done
# Stripped binaries (the build tree's keep -g1).
dpkg-deb -x "$RUN_DEB" "$TMP/run"
for b in seedlm seedlm-coordinator seedlm-worker seedlm-serve seedlm-executor; do
  [[ -x "$TMP/run/usr/bin/$b" ]] || fail "the package lacks /usr/bin/$b"
  if readelf -S "$TMP/run/usr/bin/$b" | grep -qE '\.debug_|\.symtab'; then
    fail "/usr/bin/$b is not stripped"
  fi
done

step "dpkg -i"
INSTALLED=1
dpkg -i "$RUN_DEB" "$DEV_DEB" >"$TMP/dpkg.log" 2>&1 ||
  { cat "$TMP/dpkg.log" >&2; fail "dpkg -i (missing dependencies? install the build's apt line)"; }
[[ "$(command -v seedlm)" == /usr/bin/seedlm ]] || fail "seedlm is not /usr/bin/seedlm"
version_out="$(seedlm --version 2>&1)" || fail "seedlm --version exits non-zero: $version_out"
echo "$version_out"
[[ "$version_out" == "seedlm $VERSION (git "*"; .seedlm format "*")" ]] ||
  fail "seedlm --version says '$version_out', not 'seedlm $VERSION (git ...; .seedlm format N)'"
for b in seedlm-coordinator seedlm-worker seedlm-serve seedlm-executor; do
  "$b" --version | grep -q "^$b $VERSION " || fail "$b --version"
  "$b" --help >/dev/null || fail "$b --help exits non-zero"
done
[[ -f /usr/share/bash-completion/completions/seedlm ]] ||
  fail "no bash completion for seedlm in /usr/share/bash-completion/completions"
[[ -f /usr/lib/cmake/seedlm/seedlmConfig.cmake ]] || fail "no CMake package in /usr/lib/cmake/seedlm"

step "the consumer against the system install"
CB="$TMP/consumer-build"
(unset CMAKE_PREFIX_PATH; build_consumer "$CB" /usr/lib/cmake/seedlm)
if [[ -f "$MODEL" ]]; then
  # generate takes any model seedlm generate takes: the llama2.c file itself.
  timeout 60 "$CB/generate" "$MODEL" "$PROMPT" 32 >"$TMP/gen_api.txt" 2>/dev/null ||
    fail "the generate example"
  timeout 60 seedlm generate "$MODEL" --prompt "$PROMPT" --max-tokens 32 \
    >"$TMP/gen_cli.txt" 2>/dev/null || fail "seedlm generate"
  cmp "$TMP/gen_api.txt" "$TMP/gen_cli.txt" ||
    fail "the generate example differs from /usr/bin/seedlm generate"
  (( $(wc -c <"$TMP/gen_api.txt") > ${#PROMPT} + 20 )) || fail "no text generated"
elif [[ "${SEEDLM_REQUIRE_SHARED_DATA:-0}" == 1 ]]; then
  fail "$MODEL is missing (SEEDLM_REQUIRE_SHARED_DATA=1)"
fi
"$CB/submit" 2>/dev/null && fail "submit without arguments succeeded"

step "dpkg --purge"
dpkg --purge "${PKGS[@]}" >"$TMP/purge.log" 2>&1 ||
  { cat "$TMP/purge.log" >&2; fail "dpkg --purge"; }
INSTALLED=0
[[ ! -e /usr/bin/seedlm && ! -e /usr/lib/cmake/seedlm ]] ||
  fail "files left after dpkg --purge"
echo "PASS: packages built, installed, used and purged ($(( SECONDS ))s)"
