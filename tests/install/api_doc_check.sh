#!/usr/bin/env bash
# docs/API.md's examples are tests/install/consumer/: every fenced block whose
# info string carries `file=NAME` must equal tests/install/consumer/NAME byte
# for byte, and every file there must have its block. Fails listing the
# differences, so the documentation cannot drift from what install_test.sh
# and deb_check.sh build and run.
#   tests/install/api_doc_check.sh          check
#   tests/install/api_doc_check.sh --fix    rewrite the consumer files from the doc
set -euo pipefail
shopt -s nullglob
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DOC="$ROOT/docs/API.md"
CONSUMER="$ROOT/tests/install/consumer"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

[[ -f "$DOC" ]] || { echo "FAIL: $DOC is missing" >&2; exit 1; }
# Writes each marked block to $TMP/NAME; a name given twice is an error.
awk -v out="$TMP" '
  /^```/ && !inblock {
    if (match($0, /file=[A-Za-z0-9_.-]+/)) {
      name = substr($0, RSTART + 5, RLENGTH - 5)
      if (name in seen) { print "FAIL: two blocks for " name > "/dev/stderr"; bad = 1 }
      seen[name] = 1; inblock = 1; path = out "/" name; printf "" > path; next
    }
  }
  /^```[ \t]*$/ && inblock { inblock = 0; close(path); next }
  inblock { print >> path }
  END {
    if (inblock) { print "FAIL: unterminated block " name > "/dev/stderr"; bad = 1 }
    exit bad
  }' "$DOC"

mapfile -t doc_files < <(cd "$TMP" && ls -1)
(( ${#doc_files[@]} > 0 )) || { echo "FAIL: no file= blocks in $DOC" >&2; exit 1; }

if [[ "${1:-}" == "--fix" ]]; then
  mkdir -p "$CONSUMER"
  for f in "${doc_files[@]}"; do cp "$TMP/$f" "$CONSUMER/$f"; done
  echo "wrote ${doc_files[*]} to $CONSUMER"
  exit 0
fi

fail=0
for f in "${doc_files[@]}"; do
  if [[ ! -f "$CONSUMER/$f" ]]; then
    echo "FAIL: docs/API.md has file=$f but tests/install/consumer/$f is missing" >&2
    fail=1
  elif ! diff -u "$CONSUMER/$f" "$TMP/$f" >&2; then
    echo "FAIL: tests/install/consumer/$f differs from its block in docs/API.md (--fix copies the doc's)" >&2
    fail=1
  fi
done
for path in "$CONSUMER"/*; do
  f="$(basename "$path")"
  if [[ ! -f "$TMP/$f" ]]; then
    echo "FAIL: tests/install/consumer/$f has no file=$f block in docs/API.md" >&2
    fail=1
  fi
done
(( fail == 0 )) || exit 1
echo "OK: docs/API.md and tests/install/consumer agree (${doc_files[*]})"
