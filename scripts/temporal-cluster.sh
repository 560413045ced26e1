#!/usr/bin/env bash
# Runs a Temporal cluster on PostgreSQL on this machine, as separate processes: the
# frontend, two history hosts, two matching hosts, the internal worker service (one
# membership ring), and the standalone Web UI. It creates or upgrades the schemas first
# (scripts/temporal-schema.sh) and the namespace once the frontend answers
# (scripts/temporal-namespace.sh), as the compose stack's one-shot jobs do, then stays in
# the foreground; stopping it (TERM, INT) stops every process it started, and it exits as
# soon as one of them does. make dev runs it in cluster mode.
#
#   scripts/temporal-cluster.sh RUN_DIR          the whole cluster (logs: RUN_DIR/temporal-*.log)
#   scripts/temporal-cluster.sh --service NAME   one process in the foreground (it becomes
#                                                the server): frontend, history1, history2,
#                                                matching1, matching2 or worker; the test
#                                                stack runs each on its own to kill one
#   scripts/temporal-cluster.sh --namespace      creates the namespace if it is missing
#                                                (once the frontend answers)
#
# Settings (environment, with their defaults):
#   TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL, TEMPORAL_UI_BIN, OCC_TEMPORAL_BIN   the pinned binaries
#   TEMPORAL_PORT_BASE         7233: the frontend's gRPC port; the others follow it:
#                              history +1 +2, matching +3 +4, worker +5, the frontend's
#                              HTTP +10, membership ports +100 … +105
#   TEMPORAL_HISTORY_HOSTS, TEMPORAL_MATCHING_HOSTS   2 and 2 (at most 2 each)
#   TEMPORAL_UI_PORT           8233 (0: no Web UI)
#   TEMPORAL_CODEC_ENDPOINT    the codec server the Web UI calls (empty: none)
#   TEMPORAL_NAMESPACE         default; TEMPORAL_NAMESPACE_RETENTION 72h
#   TEMPORAL_PG_MAX_CONNS, TEMPORAL_PG_VISIBILITY_MAX_CONNS   20 and 4 per process: mind
#                              PostgreSQL's max_connections (100 by default) across hosts
#   TEMPORAL_NUM_HISTORY_SHARDS and the PostgreSQL settings of temporal-schema.sh and of
#   deploy/temporal/config/cluster.yaml
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."

base="${TEMPORAL_PORT_BASE:-7233}"
history_hosts="${TEMPORAL_HISTORY_HOSTS:-2}"
matching_hosts="${TEMPORAL_MATCHING_HOSTS:-2}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
namespace="${TEMPORAL_NAMESPACE:-default}"
frontend="127.0.0.1:$base"
export TEMPORAL_FRONTEND_ADDRESS="$frontend"

# run_service NAME: becomes the server process NAME, on its ports.
run_service() {
  : "${TEMPORAL_SERVER_BIN:?set TEMPORAL_SERVER_BIN}"
  local service vars
  case "$1" in
    frontend) service=frontend
      vars=(TEMPORAL_FRONTEND_PORT="$base" TEMPORAL_FRONTEND_HTTP_PORT=$((base + 10))
        TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$((base + 100))) ;;
    history1 | history2) service=history; local i=${1#history}
      vars=(TEMPORAL_HISTORY_PORT=$((base + i)) TEMPORAL_HISTORY_MEMBERSHIP_PORT=$((base + 100 + i))) ;;
    matching1 | matching2) service=matching; local i=${1#matching}
      vars=(TEMPORAL_MATCHING_PORT=$((base + 2 + i)) TEMPORAL_MATCHING_MEMBERSHIP_PORT=$((base + 102 + i))) ;;
    worker) service=worker
      vars=(TEMPORAL_WORKER_PORT=$((base + 5)) TEMPORAL_WORKER_MEMBERSHIP_PORT=$((base + 105))) ;;
    *) echo "unknown service $1 (frontend, history1, history2, matching1, matching2, worker)" >&2; exit 2 ;;
  esac
  exec env "${vars[@]}" "$TEMPORAL_SERVER_BIN" --config deploy/temporal/config --env cluster --allow-no-auth \
    start --service "$service"
}

# ensure_namespace: creates the namespace with its retention unless it exists, and waits
# until the frontend serves it (scripts/temporal-namespace.sh, as the compose stack's job).
ensure_namespace() {
  : "${OCC_TEMPORAL_BIN:?set OCC_TEMPORAL_BIN (the Temporal CLI)}"
  TEMPORAL_NAMESPACE="$namespace" scripts/temporal-namespace.sh
}

case "${1:-}" in
  --service) run_service "${2:?usage: scripts/temporal-cluster.sh --service NAME}" ;;
  --namespace) ensure_namespace; exit 0 ;;
esac

run_dir="${1:?usage: scripts/temporal-cluster.sh RUN_DIR | --service NAME | --namespace}"
mkdir -p "$run_dir"
: "${TEMPORAL_SERVER_BIN:?set TEMPORAL_SERVER_BIN}"
: "${TEMPORAL_UI_BIN:?set TEMPORAL_UI_BIN}"
: "${OCC_TEMPORAL_BIN:?set OCC_TEMPORAL_BIN (the Temporal CLI)}"

pids=()
stop() {
  trap - EXIT INT TERM
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 0' INT TERM

scripts/temporal-schema.sh >"$run_dir/temporal-schema.log" 2>&1 || {
  echo "the Temporal schemas could not be set up; see $run_dir/temporal-schema.log" >&2
  exit 1
}

# server NAME: one process of the cluster, in the background.
server() {
  "$self" --service "$1" >"$run_dir/temporal-$1.log" 2>&1 &
  pids+=($!)
}
# The frontend first: the first process on new databases writes the cluster's metadata,
# and several writing it at once fail ("failed to initialize current cluster metadata").
server frontend
for _ in $(seq 1 240); do
  if "$OCC_TEMPORAL_BIN" operator cluster health --address "$frontend" >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then break; fi
  sleep 0.5
done
if ! "$OCC_TEMPORAL_BIN" operator cluster health --address "$frontend" >/dev/null 2>&1; then
  echo "the Temporal frontend did not answer on $frontend; see $run_dir/temporal-frontend.log" >&2
  exit 1
fi
for ((i = 1; i <= history_hosts; i++)); do server "history$i"; done
for ((i = 1; i <= matching_hosts; i++)); do server "matching$i"; done
server worker
ensure_namespace

if [[ "$ui_port" != 0 ]]; then
  TEMPORAL_ADDRESS="$frontend" TEMPORAL_UI_PORT="$ui_port" TEMPORAL_DEFAULT_NAMESPACE="$namespace" \
    TEMPORAL_CSRF_COOKIE_INSECURE=true TEMPORAL_CODEC_ENDPOINT="${TEMPORAL_CODEC_ENDPOINT:-}" \
    "$TEMPORAL_UI_BIN" --root deploy/temporal --config ui --env cluster start >"$run_dir/temporal-ui.log" 2>&1 &
  pids+=($!)
fi
echo "Temporal cluster on $frontend: frontend, $history_hosts history, $matching_hosts matching, worker; namespace $namespace"

wait -n "${pids[@]}" || true
echo "a process of the Temporal cluster exited; see $run_dir/temporal-*.log" >&2
exit 1
