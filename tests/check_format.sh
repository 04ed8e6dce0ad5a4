#!/usr/bin/env bash
# Fails (exit 1) if any tracked C++ file differs from clang-format's output
# (.clang-format: Google base); lists the files. `--fix` rewrites them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode="${1:-check}"
bad=0
while IFS= read -r f; do
  if [[ "${mode}" == --fix ]]; then
    clang-format -i "${f}"
  elif ! clang-format --dry-run -Werror "${f}" >/dev/null 2>&1; then
    echo "not clang-format clean: ${f}"
    bad=1
  fi
done < <(git ls-files '*.cc' '*.h' | grep -v '^third_party/')
if [[ "${bad}" != 0 ]]; then
  echo "run: tests/check_format.sh --fix"
  exit 1
fi
echo "clang-format: clean"
