#!/usr/bin/env bash
# Creates the Temporal cluster's namespace with its retention if it does not exist, then
# waits until the frontend serves it: a namespace just created reaches the frontend's
# namespace cache within seconds, and until then the frontend refuses the calls that name
# it (the search attributes' registration among them). Idempotent. scripts/temporal-cluster.sh
# runs it once the frontend answers; the compose stack's temporal-namespace job does too.
#
# Settings (environment, with their defaults):
#   OCC_TEMPORAL_BIN               temporal (the Temporal CLI)
#   TEMPORAL_FRONTEND_ADDRESS      127.0.0.1:7233
#   TEMPORAL_NAMESPACE             default
#   TEMPORAL_NAMESPACE_RETENTION   72h (only when it creates the namespace)
set -euo pipefail

cli="${OCC_TEMPORAL_BIN:-temporal}"
address="${TEMPORAL_FRONTEND_ADDRESS:-127.0.0.1:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

if ! "$cli" operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1; then
  "$cli" operator namespace create --address "$address" -n "$namespace" \
    --retention "${TEMPORAL_NAMESPACE_RETENTION:-72h}" >/dev/null
fi
# Listing the search attributes goes through the frontend's namespace cache (DescribeNamespace
# does not): it answers once the namespace is served.
for _ in $(seq 1 120); do
  if "$cli" operator search-attribute list --address "$address" -n "$namespace" >/dev/null 2>&1; then
    echo "Temporal namespace $namespace served on $address"
    exit 0
  fi
  sleep 0.5
done
echo "the Temporal namespace $namespace is not served on $address after 60 s" >&2
exit 1
