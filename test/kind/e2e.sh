#!/usr/bin/env bash
# End-to-end on kind, for machines with a Docker engine: build the image (`npm run image`, no
# Docker needed for that), load its archive into a kind cluster, install the chart with it, prove the examples become Ready with real Callback API pods
# answering a real request, then run the integration suite against that cluster.
#
#   test/kind/e2e.sh            # creates (and afterwards deletes) the kind cluster callback-operator-e2e
#   KIND_CLUSTER=mine KEEP_CLUSTER=1 test/kind/e2e.sh
#
# Needs docker (with a running engine), kind, kubectl and helm (v3.8+ or v4) on PATH, and npm.
# The CI machines of this project have no Docker engine, so this script has never run there; the
# same integration suite runs in CI against a local control plane (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/../.."

cluster="${KIND_CLUSTER:-callback-operator-e2e}"
archive="build/image/callback-operator.oci.tar"
namespace="callback-operator-system"
workdir="$(mktemp -d)"
kubeconfig="$workdir/kubeconfig"

fail() {
  echo "kind-e2e: $*" >&2
  exit 1
}

for tool in docker kind kubectl helm npm; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH; install it (see docs/testing.md, \"kind\")"
done
docker info >/dev/null 2>&1 || fail "cannot reach the Docker engine (is dockerd running, and may this user use it?)"

created=0
cleanup() {
  local status=$?
  if [[ $status -ne 0 ]]; then
    echo "kind-e2e: failed; operator logs follow" >&2
    kubectl --kubeconfig "$kubeconfig" -n "$namespace" logs deploy/callback-operator --tail=100 >&2 || true
  fi
  if [[ $created -eq 1 && -z "${KEEP_CLUSTER:-}" ]]; then kind delete cluster --name "$cluster" || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT

if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster --name "$cluster" --wait 120s
  created=1
fi
kind get kubeconfig --name "$cluster" >"$kubeconfig"
k() { kubectl --kubeconfig "$kubeconfig" "$@"; }

echo "kind-e2e: building the image archive"
npm run image
# The archive carries the chart's default reference, so the chart's defaults name it unchanged.
kind load image-archive "$archive" --name "$cluster"

echo "kind-e2e: installing the chart"
helm upgrade --install callback-operator charts/callback-operator \
  --kubeconfig "$kubeconfig" --namespace "$namespace" --create-namespace \
  --set image.pullPolicy=Never --set callbackApi.image.pullPolicy=Never --wait --timeout 5m
k label namespace "$namespace" pod-security.kubernetes.io/enforce=restricted --overwrite

echo "kind-e2e: the example without a database, Ready with a real pod"
k apply --server-side -f examples/callback-support.yaml
k wait --for=condition=Ready --timeout=180s callbackservice/callback-support
k wait --for=condition=Available --timeout=60s deployment/callback-support

echo "kind-e2e: a real request through the Service (port-forward to loopback)"
port=18080
k port-forward service/callback-support "$port:80" >"$workdir/port-forward.log" 2>&1 &
forward=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
code=$(curl -s -o "$workdir/answer.json" -w '%{http_code}' \
  -X POST "http://127.0.0.1:$port/genesys/1/service/callback/callback-support" \
  -d _customer_number=5145550199)
kill "$forward"
[[ "$code" == "200" ]] || fail "start-callback answered $code: $(cat "$workdir/answer.json")"
grep -q '"_id"' "$workdir/answer.json" || fail "start-callback returned no _id: $(cat "$workdir/answer.json")"
k delete -f examples/callback-support.yaml --wait

echo "kind-e2e: the integration suite against the cluster (the chart's operator is scaled to 0,"
echo "kind-e2e: because the tests run their own operator processes)"
k -n "$namespace" scale deployment/callback-operator --replicas=0
CALLBACK_OPERATOR_TEST_KUBECONFIG="$kubeconfig" npx vitest run --project integration

echo "kind-e2e: uninstall keeps the CRDs"
helm uninstall callback-operator --kubeconfig "$kubeconfig" --namespace "$namespace" --wait
k get crd callbackservices.callback-operator.io >/dev/null
echo "kind-e2e: passed"
