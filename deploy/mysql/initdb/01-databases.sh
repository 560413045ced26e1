#!/bin/bash
# Runs once, when the mysql container starts on an empty data volume (the image sources
# every *.sh of /docker-entrypoint-initdb.d, as root, against its temporary server).
# It creates the database of the back office and its user, limited to it:
#   occonnect  the back office (occonnect migrate up applies the schema)
# The Temporal cluster keeps its data in PostgreSQL (the postgres service), not here.
# Reads MYSQL_ROOT_PASSWORD and MYSQL_OCCONNECT_PASSWORD from the container's environment
# (docker-compose.yml passes them from deploy/.env). The password goes into SQL and into a
# DSN, so it is restricted to letters, digits and . _ ~ - (openssl rand -hex 32 makes a
# good one).

occ_check_password() {
	if [[ -z "${2}" || ! "${2}" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
		echo "01-databases.sh: ${1} must be at least 16 characters of A-Z a-z 0-9 . _ ~ -" >&2
		exit 1
	fi
}
occ_check_password MYSQL_OCCONNECT_PASSWORD "${MYSQL_OCCONNECT_PASSWORD:-}"

# Sourced by the entrypoint: its docker_process_sql runs SQL as root over the socket.
occ_sql() {
	if declare -F docker_process_sql >/dev/null; then
		docker_process_sql
	else
		MYSQL_PWD="${MYSQL_ROOT_PASSWORD}" mysql --protocol=socket --socket="${SOCKET:-/var/run/mysqld/mysqld.sock}" --user=root
	fi
}

occ_sql <<SQL
CREATE DATABASE IF NOT EXISTS occonnect CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'occonnect'@'%' IDENTIFIED BY '${MYSQL_OCCONNECT_PASSWORD}';
GRANT ALL PRIVILEGES ON occonnect.* TO 'occonnect'@'%';
SQL
