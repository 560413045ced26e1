#!/usr/bin/env bash
# make dev: runs the whole system locally and stops it all on Ctrl-C.
# Temporal dev server (state in .dev/temporal.db, so runs survive a restart) with its Web UI,
# Mailpit, migrations, demo data, the worker and the API. Logs go to .dev/*.log.
# OCC_DEV_TEMPORAL=cluster: a Temporal cluster on PostgreSQL instead of the dev server
# (scripts/temporal-cluster.sh: frontend, two history and two matching hosts, the worker
# service, the standalone Web UI; state in PostgreSQL), two workers and two API processes
# (8080 and 8082). The same ports and URLs otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${OCC_TEMPORAL_BIN:?run through make dev}"
: "${OCC_MAILPIT_BIN:?run through make dev}"
export OCC_API_ADDR="${OCC_API_ADDR:-127.0.0.1:8080}"
export OCC_TEMPORAL_ADDRESS="${OCC_TEMPORAL_ADDRESS:-127.0.0.1:7233}"
export OCC_SMTP_HOST="${OCC_SMTP_HOST:-127.0.0.1}"
export OCC_SMTP_PORT="${OCC_SMTP_PORT:-1025}"
UI_PORT=8233
MAILPIT_UI=127.0.0.1:8025
MODE="${OCC_DEV_TEMPORAL:-dev-server}"
case "$MODE" in
dev-server | cluster) ;;
*) echo "OCC_DEV_TEMPORAL is dev-server (the default) or cluster, not $MODE" >&2; exit 1 ;;
esac
API2_ADDR=127.0.0.1:8082

mkdir -p .dev
# .dev holds the payload key, Mailpit's e-mails (one-time passwords) and the logs: the
# owner's only.
chmod 700 .dev
# The servers run in sessions of their own (setsid): a Ctrl-C reaches this script only,
# whose trap stops them in reverse order, instead of racing it to their exits.
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "stopping…"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped"
}
trap cleanup EXIT
trap 'cleanup; exit 0' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$name did not become ready; see .dev/*.log" >&2
  exit 1
}
ports=("${OCC_TEMPORAL_ADDRESS%:*} ${OCC_TEMPORAL_ADDRESS##*:}" "127.0.0.1 $UI_PORT" "127.0.0.1 8081" "127.0.0.1 8025" "${OCC_SMTP_HOST} ${OCC_SMTP_PORT}" "${OCC_API_ADDR%:*} ${OCC_API_ADDR##*:}")
[[ "$MODE" == cluster ]] && ports+=("${API2_ADDR%:*} ${API2_ADDR##*:}")
for hp in "${ports[@]}"; do
  # shellcheck disable=SC2086
  if ! port_free $hp; then
    echo "port ${hp/ /:} is already in use (another make dev?). Stop that process first." >&2
    exit 1
  fi
done

echo "building bin/occonnect"
go build -o bin/occonnect ./cmd/occonnect

# Payload encryption: a local key, made once and kept in .dev/ (git-ignored), mode 0600
# (codec-key -o; one made by an older make dev is brought to 0600).
if [[ -z "${OCC_PAYLOAD_KEYS:-}" ]]; then
  [[ -s .dev/payload.keys ]] || { rm -f .dev/payload.keys; bin/occonnect codec-key -o .dev/payload.keys dev1; }
  chmod 600 .dev/payload.keys
  OCC_PAYLOAD_KEYS="$(cat .dev/payload.keys)"
  export OCC_PAYLOAD_KEYS
fi
# The staff's second factor is optional locally: the demo accounts sign in with the password
# alone, and mfa@demo.oc.local (enrolled by the seed) shows the TOTP step. The secret is
# kept in .dev/totp.secret (0600) unless OCC_DEV_TOTP_SECRET is set, so that an
# authenticator app set up once keeps working across runs.
export OCC_STAFF_MFA="${OCC_STAFF_MFA:-optional}"
if [[ -z "${OCC_DEV_TOTP_SECRET:-}" ]]; then
  if [[ ! -s .dev/totp.secret ]]; then
    (umask 077 && head -c 20 /dev/urandom | base32 | tr -d '=\n' >.dev/totp.secret)
  fi
  OCC_DEV_TOTP_SECRET="$(cat .dev/totp.secret)"
fi
export OCC_DEV_TOTP_SECRET
export OCC_CODEC_ADDR="${OCC_CODEC_ADDR:-127.0.0.1:8081}"
export OCC_CODEC_CORS_ORIGIN="${OCC_CODEC_CORS_ORIGIN:-http://127.0.0.1:$UI_PORT}"
setsid bin/occonnect codec-server >.dev/codec.log 2>&1 &
pids+=($!)

if [[ "$MODE" == cluster ]]; then
  : "${TEMPORAL_SERVER_BIN:?run through make dev}"
  TEMPORAL_PORT_BASE="${OCC_TEMPORAL_ADDRESS##*:}" TEMPORAL_UI_PORT="$UI_PORT" TEMPORAL_CODEC_ENDPOINT="http://$OCC_CODEC_ADDR" \
    setsid scripts/temporal-cluster.sh .dev >.dev/temporal.log 2>&1 &
  pids+=($!)
else
  # The workflows' search attributes (OccProcess, OccStatus, …), from their Go definitions.
  search_attribute_flags="$(bin/occonnect search-attributes dev-flags)"
  mapfile -t search_attributes <<<"$search_attribute_flags"
  setsid "$OCC_TEMPORAL_BIN" server start-dev \
    --ip "${OCC_TEMPORAL_ADDRESS%:*}" --port "${OCC_TEMPORAL_ADDRESS##*:}" --ui-port "$UI_PORT" \
    --db-filename .dev/temporal.db --log-level warn --ui-codec-endpoint "http://$OCC_CODEC_ADDR" \
    "${search_attributes[@]}" >.dev/temporal.log 2>&1 &
  pids+=($!)
fi
setsid "$OCC_MAILPIT_BIN" --smtp "${OCC_SMTP_HOST}:${OCC_SMTP_PORT}" --listen "$MAILPIT_UI" \
  --database .dev/mailpit.db >.dev/mailpit.log 2>&1 &
pids+=($!)
wait_for "Temporal" "$OCC_TEMPORAL_BIN" operator namespace describe --address "$OCC_TEMPORAL_ADDRESS" -n "${OCC_TEMPORAL_NAMESPACE:-default}"
if [[ "$MODE" == cluster ]]; then
  # Idempotent (the dev server gets them at start). A namespace just created reaches the
  # frontend's namespace cache within seconds: until then the registration is refused.
  wait_for "the search attributes" bin/occonnect search-attributes
fi
wait_for "Mailpit" curl -fsS "http://$MAILPIT_UI/api/v1/info"

bin/occonnect migrate up
bin/occonnect exchange-points import data/exchange_points_demo.csv
OCC_DEV_SEED=true bin/occonnect seed demo

setsid bin/occonnect worker >.dev/worker.log 2>&1 &
pids+=($!)
setsid bin/occonnect api >.dev/api.log 2>&1 &
pids+=($!)
if [[ "$MODE" == cluster ]]; then
  OCC_WORKER_METRICS_ADDR=127.0.0.1:9093 setsid bin/occonnect worker >.dev/worker2.log 2>&1 &
  pids+=($!)
  OCC_API_ADDR="$API2_ADDR" OCC_API_METRICS_ADDR=127.0.0.1:9092 setsid bin/occonnect api >.dev/api2.log 2>&1 &
  pids+=($!)
  wait_for "API (second)" curl -fsS "http://$API2_ADDR/readyz"
fi
wait_for "API" curl -fsS "http://$OCC_API_ADDR/readyz"

cat <<MSG

OC Connect back office is running:
  API              http://$OCC_API_ADDR   (OpenAPI: http://$OCC_API_ADDR/api/v1/openapi.yaml)
  Officer console  http://$OCC_API_ADDR/console   (officer@demo.oc.local, supervisor@demo.oc.local, head@demo.oc.local)
                   mfa@demo.oc.local asks for a TOTP code: add the secret $OCC_DEV_TOTP_SECRET to an authenticator app
  Temporal Web UI  http://127.0.0.1:$UI_PORT   (payloads decoded by the codec server http://$OCC_CODEC_ADDR)
  Temporal gRPC    $OCC_TEMPORAL_ADDRESS
  Mailpit          http://$MAILPIT_UI   (SMTP ${OCC_SMTP_HOST}:${OCC_SMTP_PORT})
  Metrics          http://${OCC_API_METRICS_ADDR-127.0.0.1:9090}/metrics (API)   http://${OCC_WORKER_METRICS_ADDR-127.0.0.1:9091}/metrics (worker)
  MySQL            ${OCC_MYSQL_DSN:-root@tcp(127.0.0.1:3306)/occonnect}
  Logs             .dev/{temporal,mailpit,codec,worker,api}.log
Press Ctrl-C to stop everything.
MSG
if [[ "$MODE" == cluster ]]; then
  cat <<MSG
Cluster mode: Temporal is a cluster on PostgreSQL (frontend $OCC_TEMPORAL_ADDRESS, two history and two
matching hosts, the worker service; logs .dev/temporal-*.log), with two workers and a second API
on http://$API2_ADDR (metrics 9092; worker metrics 9091 and 9093). In production a load balancer
goes in front of the APIs.
MSG
fi

# Stop everything when any part exits.
wait -n "${pids[@]}" || true
echo "a process exited; see .dev/*.log" >&2
exit 1
