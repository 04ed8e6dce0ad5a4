#!/usr/bin/env bash
# The command-line surface of every binary, driven from outside:
#   --version: exit 0, exactly one line "<name> X.Y.Z (git ...; .seedlm format
#     N)" on stdout, nothing on stderr;
#   --help / -h: exit 0, the usage on stdout; every flag main.cc defines is
#     listed, and every flag listed is accepted (followed by an unknown flag,
#     the error is about the unknown one: exit 2, one line on stderr);
#   every `seedlm` subcommand's --help (and `seedlm help CMD`);
#   bash completion (`seedlm completion bash`, `--completion-bash`) loaded in
#     `bash --norc`, its function driven with COMP_WORDS / COMP_CWORD; preset
#     and exponent names checked against what the binary's own errors list;
#   the build's completions/ directory holds the same scripts.
# Usage: tests/cli_surface_test.sh BIN_DIR [COMPLETIONS_DIR]
# Runs from the repository root (reads the main.cc files); writes only in a
# temporary directory; every command runs under `timeout`.
set -uo pipefail

BIN="$(realpath "${1:?usage: cli_surface_test.sh BIN_DIR [COMPLETIONS_DIR]}")"
COMPLETIONS="${2:+$(realpath "$2")}"
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT
# The binaries run in here, so that even a broken one writes nothing else.
mkdir -p "${TMP}/cwd"
failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# run NAME ARGS...: sets rc, out (stdout) and err (stderr).
run() {
  checks=$((checks + 1))
  (cd "${TMP}/cwd" && timeout 20 "$@" >"${TMP}/out" 2>"${TMP}/err" </dev/null)
  rc=$?
  out="$(cat "${TMP}/out")"
  err="$(cat "${TMP}/err")"
}

VERSION_RE='^[a-z-]+ [0-9]+\.[0-9]+\.[0-9]+ \(git [^;]+; \.seedlm format [0-9]+\)$'

check_version() {  # binary [args...]
  local name="$1"
  shift
  run "${BIN}/${name}" "$@"
  [[ ${rc} == 0 ]] || fail "${name} $*: exit ${rc}"
  [[ -z "${err}" ]] || fail "${name} $*: stderr: ${err}"
  [[ "$(wc -l <"${TMP}/out")" == 1 ]] || fail "${name} $*: not one line: ${out}"
  [[ "${out}" =~ ${VERSION_RE} ]] || fail "${name} $*: '${out}'"
  [[ "${out}" == "${name} "* ]] || fail "${name} $*: another name: '${out}'"
}

# check_help PROGRAM... : --help and -h print the same usage to stdout.
check_help() {
  run "$@" --help
  [[ ${rc} == 0 ]] || fail "$* --help: exit ${rc}: ${err}"
  [[ -z "${err}" ]] || fail "$* --help: stderr: ${err}"
  local want="usage: $(basename "$1")${2:+ $2}"
  [[ "${out}" == "${want}"* ]] || fail "$* --help starts '${out:0:60}'"
  local help="${out}"
  run "$@" -h
  [[ ${rc} == 0 && "${out}" == "${help}" ]] || fail "$* -h differs from --help"
  printf '%s\n' "${help}" >"${TMP}/help"
}

# Flags named in the last help ("  --name" at the start of a line) and
# whether each takes a value ("  --name VALUE").
help_flags() {
  sed -n 's/^  --\([a-z0-9-]*\)\( [^ (].*\)\{0,1\}$/\1\2/p' "${TMP}/help" |
    while read -r name value; do
      case "${name}" in help | version | completion-bash) continue ;; esac
      echo "${name} ${value:+v}"
    done
}

# check_flags_accepted PROGRAM...: every flag of the help is accepted.
check_flags_accepted() {
  local name v
  while read -r name v; do
    local args=("--${name}")
    [[ -n "${v}" ]] && args+=("1")
    run "$@" "${args[@]}" --zz-no-such-flag
    [[ ${rc} == 2 ]] || fail "$* --${name}: exit ${rc}: ${err}"
    [[ "${err}" == *zz-no-such-flag* && "${err}" != *$'\n'* ]] ||
      fail "$* --${name} is not accepted or not one line: ${err}"
  done < <(help_flags)
}

# check_source_flags FILE: every flag main.cc defines is in the last help.
check_source_flags() {
  local flags
  flags="$(grep -o 'ABSL_FLAG([^,]*, *[a-z0-9_]*' "$1" | sed 's/.*, *//' |
    tr _ -)"
  flags+=$'\n'"$(grep -o '{"[a-z-]*", &' "$1" | sed 's/{"\([a-z-]*\)".*/\1/')"
  local n=0
  for f in ${flags}; do
    n=$((n + 1))
    grep -q "^  --${f}\\b" "${TMP}/help" || fail "$1: --${f} not in --help"
  done
  [[ ${n} -ge 3 ]] || fail "$1: found only ${n} flags in the source"
}

SERVICES=(seedlm-coordinator seedlm-worker seedlm-serve seedlm-executor)
declare -A MAIN=([seedlm-coordinator]=server/coordinator/main.cc
  [seedlm-worker]=worker/main.cc [seedlm-serve]=server/inference/main.cc
  [seedlm-executor]=executor/main.cc [seedlm-fpga-report]=fpga/sim/report_main.cc)
# seedlm-fpga-report is built only on request (make fpga-report): checked
# when present and not older than seedlm (a stale one is left out).
OPTIONAL=()
if [[ -x "${BIN}/seedlm-fpga-report" ]]; then
  if [[ "${BIN}/seedlm" -nt "${BIN}/seedlm-fpga-report" ]]; then
    echo "note: ${BIN}/seedlm-fpga-report is older than seedlm: not checked"
  else
    OPTIONAL+=(seedlm-fpga-report)
  fi
fi

# --- --version everywhere -------------------------------------------------
for b in seedlm "${SERVICES[@]}" seedlm-bench seedlm-verify "${OPTIONAL[@]}"; do
  check_version "${b}" --version
done
check_version seedlm version

# --- --help, flags both ways, usage errors -------------------------------
for b in "${SERVICES[@]}" "${OPTIONAL[@]}"; do
  check_help "${BIN}/${b}"
  check_source_flags "${MAIN[${b}]}"
  check_flags_accepted "${BIN}/${b}"
  run "${BIN}/${b}" --zz-no-such-flag
  [[ ${rc} == 2 && "${err}" != *$'\n'* ]] ||
    fail "${b} unknown flag: exit ${rc}, stderr: ${err}"
done
run "${BIN}/seedlm-coordinator" --lease-timeout=abc
[[ ${rc} == 2 ]] || fail "seedlm-coordinator --lease-timeout=abc: exit ${rc}"
for b in seedlm-bench seedlm-verify; do
  check_help "${BIN}/${b}"
  grep -q -- "--version" "${TMP}/help" || fail "${b} --help: no --version"
done

# seedlm: the overview, then every subcommand it lists.
run "${BIN}/seedlm" --help
[[ ${rc} == 0 && "${out}" == "usage: seedlm <command>"* ]] ||
  fail "seedlm --help: exit ${rc}: ${out:0:80}"
commands="$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "${TMP}/out")"
[[ "$(wc -w <<<"${commands}")" -ge 17 ]] || fail "seedlm --help lists: ${commands}"
for c in ${commands}; do
  check_help "${BIN}/seedlm" "${c}"
  check_flags_accepted "${BIN}/seedlm" "${c}"
  help="$(cat "${TMP}/help")"
  run "${BIN}/seedlm" help "${c}"
  [[ ${rc} == 0 && "${out}" == "${help}" ]] || fail "seedlm help ${c} differs"
done
run "${BIN}/seedlm" frobnicate
[[ ${rc} == 2 && "${err}" == *"unknown command"* ]] || fail "seedlm frobnicate"
run "${BIN}/seedlm" compress --zz-no-such-flag
[[ ${rc} == 2 && "${err}" == "seedlm compress: unknown flag --zz-no-such-flag" ]] ||
  fail "seedlm compress --zz...: exit ${rc}: ${err}"
# --help as a flag's value is a value, not a request for help.
run "${BIN}/seedlm" generate "${TMP}/none.bin" --prompt --help
[[ ${rc} != 0 && "${out}" != usage:* ]] || fail "generate --prompt --help"

# --- bash completion -------------------------------------------------------
run "${BIN}/seedlm" completion bash
[[ ${rc} == 0 ]] || fail "seedlm completion bash: exit ${rc}: ${err}"
cp "${TMP}/out" "${TMP}/seedlm.bash"
for b in "${SERVICES[@]}"; do
  run "${BIN}/${b}" --completion-bash
  [[ ${rc} == 0 ]] || fail "${b} --completion-bash: exit ${rc}: ${err}"
  cp "${TMP}/out" "${TMP}/${b}.bash"
done

# stdin's words, sorted, on one line (no xargs: it would run echo --help).
words() { tr -s ' \n' '\n\n' | sed '/^$/d' | sort | paste -sd' ' -; }

# complete WORDS...: what the loaded completion offers for the last word
# (sorted, one line, space separated), run in ${TMP}/files.
mkdir -p "${TMP}/files/models" && touch "${TMP}/files/tok.bin"
complete_words() {
  local prog="$1" fn="_${1//-/_}"
  checks=$((checks + 1))
  (cd "${TMP}/files" && timeout 20 bash --norc --noprofile -c '
      source "$1"; shift; fn="$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "${fn}"
      printf "%s\n" "${COMPREPLY[@]}"' _ "${TMP}/${prog}.bash" "${fn}" "$@") |
    words
}
expect() {  # expect "WANT" WORDS...
  local want="$1"
  shift
  local got
  got="$(complete_words "$@")"
  [[ "${got}" == "${want}" ]] || fail "complete '$*': got '${got}', want '${want}'"
}

presets="$(cd "${TMP}/cwd" && "${BIN}/seedlm" compress a b --preset zz 2>&1 |
  sed 's/.*(presets: \(.*\))/\1/; s/,//g' | words)"
[[ "$(wc -w <<<"${presets}")" -ge 4 ]] || fail "presets from the error: ${presets}"
modes="$(cd "${TMP}/cwd" && "${BIN}/seedlm" compress a b --exponent zz 2>&1 |
  sed 's/.*(expected \(.*\))/\1/; s/,//g; s/ or / /' | words)"

expect "complete completion compress" seedlm comp
expect "--help" seedlm --he
expect "--preset" seedlm compress --pre
expect "${presets}" seedlm compress --preset ""
expect "${presets}" seedlm submit --preset ""
expect "${presets}" seedlm compress --preset "="
expect "${modes}" seedlm compress --exponent ""
expect "fast reference" seedlm compress --search ""
expect "tok.bin" seedlm compress --tokenizer to
expect "models" seedlm compress mod
expect "" seedlm compress --threads ""
expect "--json" seedlm verify --js
expect "bash" seedlm completion ""
expect "compress" seedlm help compr
expect "--state-dir" seedlm-coordinator --state
expect "debug error info warn" seedlm-coordinator --log-level ""
expect "models" seedlm-coordinator --model-root mo
expect "--coordinator" seedlm-worker --coo
expect "json logfmt text" seedlm-worker --log-format ""
expect "--max-batch" seedlm-serve --max-b
expect "tok.bin" seedlm-serve --model to
kinds="$(complete_words seedlm-executor seedlm-executor --kind "")"
[[ "${kinds}" == "cpu" || "${kinds}" == "cpu fpga-sim" ]] ||
  fail "seedlm-executor --kind: ${kinds}"

# --- the build's completions/ ------------------------------------------------
if [[ -n "${COMPLETIONS}" ]]; then
  for b in seedlm "${SERVICES[@]}"; do
    if ! cmp -s "${COMPLETIONS}/${b}" "${TMP}/${b}.bash"; then
      fail "${COMPLETIONS}/${b} is missing or differs from the binary's"
    fi
  done
fi

echo "cli_surface_test: ${checks} checks, ${failures} failures"
[[ ${failures} == 0 ]]
