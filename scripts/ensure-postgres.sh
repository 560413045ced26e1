#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (the Temporal cluster's
# persistence): starts Debian's PostgreSQL when it is installed but not running, and
# otherwise says what to do; then checks that the administrator temporal-schema.sh uses
# (TEMPORAL_PG_ADMIN_USER, postgres) may sign in over TCP, and says how to allow it when
# not. Skipped when TEMPORAL_PG_ADDR points elsewhere.
set -euo pipefail

addr="${TEMPORAL_PG_ADDR:-127.0.0.1:5432}"
if [[ "$addr" != "127.0.0.1:5432" ]]; then
  exit 0
fi

up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

# The administrator signs in over TCP, never prompted (-w): Debian's pg_hba.conf asks a
# password of 127.0.0.1, and the postgres role has none until one is set.
admin_ok() {
  local admin="${TEMPORAL_PG_ADMIN_USER:-postgres}" err
  if ! command -v psql >/dev/null 2>&1; then
    echo "psql is missing (Debian/Ubuntu: sudo apt-get install -y postgresql-client)" >&2
    return 1
  fi
  if err="$(PGPASSWORD="${TEMPORAL_PG_ADMIN_PASSWORD:-}" PGCONNECT_TIMEOUT=5 \
    psql -h 127.0.0.1 -p 5432 -U "$admin" -d postgres -w -qtA -c 'SELECT 1' 2>&1 >/dev/null)"; then
    return 0
  fi
  cat >&2 <<MSG
PostgreSQL answers on 127.0.0.1:5432, but the administrator "$admin" cannot sign in over TCP:
  ${err//$'\n'/ }
The cluster's schema script needs a superuser to create the role "temporal" and its databases. Either
  - give it a password and pass it on: sudo -u postgres psql -c "ALTER ROLE $admin PASSWORD 'choose-one'"
    then export TEMPORAL_PG_ADMIN_PASSWORD=choose-one (make dev and make test read it), or
  - on a development machine only, trust local TCP connections: add the line
    "host all all 127.0.0.1/32 trust" above the other "host" lines of
    /etc/postgresql/<version>/main/pg_hba.conf, then sudo service postgresql reload.
MSG
  return 1
}

if up; then
  admin_ok
  exit
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z "$(ls /etc/postgresql 2>/dev/null)" ]]; then
  cat >&2 <<'MSG'
No PostgreSQL server answers on 127.0.0.1:5432, and PostgreSQL is not installed.
Install and start it (Debian/Ubuntu: sudo apt-get install -y postgresql && sudo service postgresql start),
or point TEMPORAL_PG_ADDR (with TEMPORAL_PG_ADMIN_USER and TEMPORAL_PG_ADMIN_PASSWORD) at a server you have.
MSG
  exit 1
fi

echo "PostgreSQL is installed but not running on 127.0.0.1:5432: starting it" >&2
version="$(ls /etc/postgresql | sort -V | tail -1)"
sudo=
[[ "$(id -u)" = 0 ]] || sudo=sudo
$sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start
for _ in $(seq 1 60); do
  if up; then
    echo "PostgreSQL is up" >&2
    admin_ok
    exit
  fi
  sleep 0.5
done
echo "PostgreSQL did not come up on 127.0.0.1:5432 within 30 s; see /var/log/postgresql" >&2
exit 1
