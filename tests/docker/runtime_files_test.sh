#!/usr/bin/env bash
# ctest docker_runtime_files_test: proves, without a Docker engine, that the
# runtime stage of deploy/docker/Dockerfile is complete. It parses the stage
# (its COPY --from=build sources and its apt-get package list:
# dockerfile_check.py --runtime-manifest), stages exactly those files from
# the real build tree into a temp dir laid out like the image, then
#  (a) every shared library `ldd` reports for each staged binary is found and
#      belongs (`dpkg -S`) to a package of the runtime apt list or of
#      debian:bookworm-slim's base (BASE_PACKAGES below), and every listed
#      package is needed by some binary (dropping any one of them fails);
#  (b) runs each staged binary from the staged copy (--version, --help), the
#      staged coordinator and worker with the staged probe against them, and
#      checks every role's ENTRYPOINT and HEALTHCHECK binary was staged.
#   tests/docker/runtime_files_test.sh BIN_DIR [DOCKERFILE]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${1:?usage: $0 BIN_DIR [DOCKERFILE]}"
DOCKERFILE="${2:-$ROOT/deploy/docker/Dockerfile}"
# The build stage's tree: COPY --from=build sources under it come from BIN.
BUILD_BIN_IN_IMAGE=/src/build/bin
# What debian:bookworm-slim already holds that the binaries link (all four
# are Priority: required there). Kept to what is needed: a new library from
# another base package should be a decision (naming it in the apt list is
# harmless).
BASE_PACKAGES=(libc6 libgcc-s1 libstdc++6 zlib1g)
# shellcheck source=tests/lib/procs.sh
source "$ROOT/tests/lib/procs.sh"
procs_init

# 1. The runtime stage, as the Dockerfile says it.
python3 "$ROOT/tests/docker/dockerfile_check.py" --runtime-manifest "$DOCKERFILE" \
  >"$TMP/manifest"
mapfile -t PACKAGES < <(sed -n 's/^apt //p' "$TMP/manifest")
(( ${#PACKAGES[@]} > 0 )) || fail "no apt-get install in the runtime stage"
IMAGE="$TMP/image"
STAGED=()
while read -r kind src dest; do
  [[ "$kind" == copy ]] || continue
  case "$src" in
    "$BUILD_BIN_IN_IMAGE"/*) from="$BIN/${src#"$BUILD_BIN_IN_IMAGE"/}" ;;
    *) fail "COPY --from=build of $src: not under $BUILD_BIN_IN_IMAGE" ;;
  esac
  [[ -f "$from" ]] || fail "COPY --from=build $src: $from is not in the build tree"
  target="$IMAGE$dest"
  [[ "$dest" == */ ]] && target="$IMAGE$dest$(basename "$src")"
  mkdir -p "$(dirname "$target")"
  cp "$from" "$target"
  STAGED+=("$target")
done <"$TMP/manifest"
(( ${#STAGED[@]} > 0 )) || fail "the runtime stage copies nothing from the build"
echo "staged ${#STAGED[@]} files; runtime packages: ${PACKAGES[*]}"

# 2. Every library of every staged binary, and the package it comes from.
: >"$TMP/pairs"   # lines "BINARY LIBRARY"
for f in "${STAGED[@]}"; do
  name="$(basename "$f")"
  ldd "$f" >"$TMP/ldd" 2>&1 || fail "ldd $name: $(cat "$TMP/ldd")"
  if grep -q "not found" "$TMP/ldd"; then
    fail "$name: libraries not found: $(grep 'not found' "$TMP/ldd" | tr -s ' \t' ' ')"
  fi
  awk -v b="$name" '/=>/ {print b, $3; next} /^\s*\// {print b, $1}' "$TMP/ldd" >>"$TMP/pairs"
done
# One `dpkg -S` for every library, under each name usrmerge may have
# registered it (/lib or /usr/lib, the link or its target).
declare -A OWNER=()
mapfile -t LIBS < <(cut -d' ' -f2 "$TMP/pairs" | sort -u)
candidates() {
  local real
  real="$(readlink -f "$1")"
  printf '%s\n' "$1" "$real" "/usr$1" "/usr$real" "${1#/usr}" "${real#/usr}"
}
mapfile -t PATHS < <(for lib in "${LIBS[@]}"; do candidates "$lib"; done | sort -u)
while IFS= read -r line; do
  OWNER["${line#*: }"]="$(echo "${line%%: *}" | sed 's/:[a-z0-9_]*$//; s/,.*//')"
done < <(dpkg -S "${PATHS[@]}" 2>/dev/null || true)
: >"$TMP/needs"   # lines "BINARY PACKAGE LIBRARY"
while read -r name lib; do
  pkg=""
  while read -r c; do
    [[ -n "${OWNER[$c]:-}" ]] && { pkg="${OWNER[$c]}"; break; }
  done < <(candidates "$lib")
  [[ -n "$pkg" ]] || fail "$name: $lib belongs to no package"
  echo "$name $pkg $lib" >>"$TMP/needs"
done <"$TMP/pairs"
sort -u -o "$TMP/needs" "$TMP/needs"
echo "$(wc -l <"$TMP/needs") (binary, library) pairs from $(cut -d' ' -f2 "$TMP/needs" | sort -u | wc -l) packages"

# (a) with a package list: every needed package is in it or in the base.
# Prints what is missing; fails when something is.
covered() {
  local -A have=()
  local p missing=0
  for p in "$@" "${BASE_PACKAGES[@]}"; do have[$p]=1; done
  while read -r binary pkg lib; do
    if [[ -z "${have[$pkg]:-}" ]]; then
      echo "  $binary needs $lib from $pkg, which the runtime stage does not install"
      missing=1
    fi
  done <"$TMP/needs"
  return $missing
}
covered "${PACKAGES[@]}" || fail "the runtime apt list is incomplete (above)"
echo "ok: every library is in the runtime apt list or bookworm-slim's base"
for drop in "${PACKAGES[@]}"; do
  rest=()
  for p in "${PACKAGES[@]}"; do [[ "$p" == "$drop" ]] || rest+=("$p"); done
  if covered "${rest[@]}" >/dev/null; then
    fail "runtime package $drop is needed by no staged binary: drop it from the Dockerfile"
  fi
done
echo "ok: dropping any one of the ${#PACKAGES[@]} runtime packages leaves a library unprovided"

# (b) Run the staged copies (only the staged directory on PATH).
SBIN="$IMAGE/usr/local/bin"
run_staged() {  # run_staged NAME ARGS... -> RC, OUT (stdout + stderr)
  set +e
  OUT="$(cd "$TMP" && timeout 20 env -i HOME="$TMP" PATH="$SBIN" "$SBIN/$1" "${@:2}" 2>&1)"
  RC=$?
  set -e
}
for f in "${STAGED[@]}"; do
  name="$(basename "$f")"
  for flag in --version --help; do
    run_staged "$name" "$flag"
    [[ "$RC" != 127 && "$RC" != 126 && "$OUT" != *"error while loading shared libraries"* ]] ||
      fail "$name $flag from the staged copy: exit $RC: $OUT"
    [[ "$OUT" == *"$name"* || "$OUT" == *usage* ]] ||
      fail "$name $flag printed neither its name nor a usage: $OUT"
  done
  echo "ok: staged $name runs (--version: $(run_staged "$name" --version; echo "${OUT%%$'\n'*}"))"
done
while read -r kind binary; do
  [[ "$kind" == entrypoint || "$kind" == probe ]] || continue
  [[ -x "$SBIN/$binary" ]] || fail "$kind $binary is not in the runtime stage's /usr/local/bin"
done <"$TMP/manifest"
echo "ok: every role's ENTRYPOINT and HEALTHCHECK binary is staged"

[[ -x "$SBIN/seedlm-coordinator" && -x "$SBIN/seedlm-worker" && -x "$SBIN/seedlm-health-probe" ]] ||
  fail "the runtime stage lacks seedlm-coordinator, seedlm-worker or seedlm-health-probe"
STATE="$IMAGE/var/lib/seedlm"
mkdir -p "$STATE"
env -i HOME="$TMP" PATH="$SBIN" "$SBIN/seedlm-coordinator" --state-dir "$STATE/coordinator" \
  --listen 127.0.0.1:0 --ready-file "$TMP/coordinator.json" 2>"$TMP/coordinator.log" &
PIDS+=("$!")
wait_ready "$TMP/coordinator.json" "$!" "$TMP/coordinator.log"
ADDR="$(ready_value "$TMP/coordinator.json" listen)"
[[ -n "$ADDR" ]] || fail "staged coordinator did not become ready"
run_staged seedlm-health-probe --addr "$ADDR" --timeout 5
[[ "$RC" == 0 ]] || fail "staged probe against the staged coordinator: exit $RC: $OUT"
echo "ok: staged probe -> staged coordinator: $OUT"
env -i HOME="$TMP" PATH="$SBIN" "$SBIN/seedlm-worker" --coordinator "$ADDR" --threads 1 \
  --http 127.0.0.1:0 --ready-file "$TMP/worker.json" 2>"$TMP/worker.log" &
PIDS+=("$!")
wait_ready "$TMP/worker.json" "$!" "$TMP/worker.log"
WHTTP="$(ready_value "$TMP/worker.json" http)"
run_staged seedlm-health-probe --http "$WHTTP" --timeout 5
[[ "$RC" == 0 ]] || fail "staged probe against the staged worker: exit $RC: $OUT"
echo "ok: staged probe -> staged worker /healthz: $OUT"
echo PASS
