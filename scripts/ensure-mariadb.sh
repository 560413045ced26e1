#!/usr/bin/env bash
# Makes sure a MySQL/MariaDB server answers on 127.0.0.1:3306: starts MariaDB when it is
# installed but not running, and otherwise says what to do. Skipped when OCC_MYSQL_DSN or
# OCC_TEST_MYSQL_DSN point elsewhere (the programs then report a clear error themselves).
set -euo pipefail

if [[ -n "${OCC_MYSQL_DSN:-}${OCC_TEST_MYSQL_DSN:-}" ]]; then
  exit 0
fi

up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }

if up; then
  exit 0
fi

daemon=""
for d in /usr/sbin/mariadbd /usr/sbin/mysqld; do
  [[ -x "$d" ]] && { daemon="$d"; break; }
done
if [[ -z "$daemon" ]]; then
  cat >&2 <<'MSG'
No MySQL/MariaDB server answers on 127.0.0.1:3306, and MariaDB is not installed.
Install and start it (Debian/Ubuntu: sudo apt-get install -y mariadb-server && sudo service mariadb start),
or point OCC_MYSQL_DSN (make dev) and OCC_TEST_MYSQL_DSN (make test) at a server you have,
e.g. OCC_TEST_MYSQL_DSN='root:secret@tcp(db.local:3306)/'.
MSG
  exit 1
fi

echo "MariaDB is installed but not running on 127.0.0.1:3306: starting it" >&2
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
if command -v start-stop-daemon >/dev/null 2>&1; then
  start-stop-daemon --start --oknodo --background --exec "$daemon" >/dev/null
elif command -v service >/dev/null 2>&1; then
  service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 || true
else
  nohup "$daemon" >/dev/null 2>&1 &
fi
for _ in $(seq 1 60); do
  if up; then
    echo "MariaDB is up" >&2
    exit 0
  fi
  sleep 0.5
done
echo "MariaDB did not come up on 127.0.0.1:3306 within 30 s; see its log (journalctl -u mariadb or /var/log/mysql)" >&2
exit 1
