#!/usr/bin/env bash
# Creates or upgrades the Temporal cluster's PostgreSQL databases, idempotently: the role,
# the persistence and visibility databases, their schemas at the versions the pinned
# temporal-sql-tool embeds (postgresql/v12/temporal, postgresql/v12/visibility). Run it
# before every start of the cluster (make dev in cluster mode, the test stack) and as the
# compose stack's one-shot schema job; a second run changes nothing.
#
# Settings (environment, with their defaults):
#   TEMPORAL_SQL_TOOL            temporal-sql-tool binary (required)
#   TEMPORAL_PG_ADDR             127.0.0.1:5432
#   TEMPORAL_PG_ADMIN_USER       postgres (a superuser, to create the role)
#   TEMPORAL_PG_ADMIN_PASSWORD   (empty: local trust authentication)
#   TEMPORAL_PG_USER / _PASSWORD temporal / temporal (the servers' role)
#   TEMPORAL_DB, TEMPORAL_VISIBILITY_DB   temporal / temporal_visibility
# The compose stack runs it in the temporalio/admin-tools image (bash, psql and
# temporal-sql-tool are there): TEMPORAL_SQL_TOOL=temporal-sql-tool, the PostgreSQL
# service's superuser as the admin.
set -euo pipefail

: "${TEMPORAL_SQL_TOOL:?set TEMPORAL_SQL_TOOL to the temporal-sql-tool binary}"
addr="${TEMPORAL_PG_ADDR:-127.0.0.1:5432}"
host="${addr%:*}" port="${addr##*:}"
admin="${TEMPORAL_PG_ADMIN_USER:-postgres}"
user="${TEMPORAL_PG_USER:-temporal}" password="${TEMPORAL_PG_PASSWORD:-temporal}"
db="${TEMPORAL_DB:-temporal}" visibility="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"

# The names and the password go into SQL: plain identifiers, and a password of letters,
# digits and . _ ~ - (openssl rand -hex 32 makes a good one). The value is never printed.
for pair in "TEMPORAL_PG_USER:$user" "TEMPORAL_DB:$db" "TEMPORAL_VISIBILITY_DB:$visibility"; do
  if [[ ! "${pair#*:}" =~ ^[a-z_][a-z0-9_]*$ ]]; then
    echo "temporal-schema.sh: ${pair%%:*} must be a lower-case identifier (a-z 0-9 _)" >&2
    exit 1
  fi
done
if [[ ! "$password" =~ ^[A-Za-z0-9._~-]+$ ]]; then
  echo "temporal-schema.sh: TEMPORAL_PG_PASSWORD must be letters, digits and . _ ~ - only" >&2
  exit 1
fi

psql_admin() {
  PGPASSWORD="${TEMPORAL_PG_ADMIN_PASSWORD:-}" psql -h "$host" -p "$port" -U "$admin" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

# The role the servers use; its password is (re)set so that the configuration matches.
# Two runs at once (two test clusters) may race on the role: one of them is refused
# (duplicate role, or "tuple concurrently updated") and tries again.
role_sql="DO \$\$ BEGIN
  CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password';
EXCEPTION WHEN duplicate_object THEN
  ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password';
END \$\$"
for attempt in 1 2 3 4 5; do
  if psql_admin -c "$role_sql" 2>"${TMPDIR:-/tmp}/temporal-schema-role.$$"; then
    break
  fi
  if [[ $attempt == 5 ]]; then
    cat "${TMPDIR:-/tmp}/temporal-schema-role.$$" >&2
    exit 1
  fi
  sleep "0.$((RANDOM % 9 + 1))"
done
rm -f "${TMPDIR:-/tmp}/temporal-schema-role.$$"

# The password through the environment (SQL_PASSWORD), not on a command line.
sql_tool() {
  SQL_PASSWORD="$password" "$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "$host" -p "$port" -u "$user" "$@"
}

for pair in "$db:postgresql/v12/temporal" "$visibility:postgresql/v12/visibility"; do
  name="${pair%%:*}" schema="${pair#*:}"
  if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]]; then
    sql_tool --db "$name" create-database
  fi
  has_version="$(PGPASSWORD="$password" psql -h "$host" -p "$port" -U "$user" -d "$name" -qtA \
    -c "SELECT to_regclass('public.schema_version') IS NOT NULL")"
  if [[ "$has_version" != "t" ]]; then
    sql_tool --db "$name" setup-schema -v 0.0
  fi
  sql_tool --db "$name" update-schema --schema-name "$schema"
done
echo "Temporal schemas up to date in $db and $visibility on $addr"
