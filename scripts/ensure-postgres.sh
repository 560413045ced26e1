#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (the Temporal cluster's
# persistence): starts Debian's PostgreSQL when it is installed but not running, and
# otherwise says what to do. Skipped when TEMPORAL_PG_ADDR points elsewhere.
set -euo pipefail

addr="${TEMPORAL_PG_ADDR:-127.0.0.1:5432}"
if [[ "$addr" != "127.0.0.1:5432" ]]; then
  exit 0
fi

up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

if up; then
  exit 0
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
    exit 0
  fi
  sleep 0.5
done
echo "PostgreSQL did not come up on 127.0.0.1:5432 within 30 s; see /var/log/postgresql" >&2
exit 1
