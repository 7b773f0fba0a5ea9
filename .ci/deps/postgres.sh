#!/usr/bin/env bash
# Starts the PostgreSQL server the store tests use (127.0.0.1:5432, user
# postgres, trust auth, database test; see internal/store/postgres/pgtest),
# installing Debian's postgresql first when it is missing. Idempotent and
# fast: does nothing when the server already answers.
set -euo pipefail
answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if command -v pg_isready >/dev/null && answers; then
	echo "postgresql already running"
else
	sudo_=""
	[ "$(id -u)" -eq 0 ] || sudo_=sudo
	if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
		echo "postgres.sh: installing Debian's postgresql"
		export DEBIAN_FRONTEND=noninteractive
		$sudo_ apt-get update -qq
		$sudo_ apt-get install -y -qq postgresql >/dev/null
	fi
	# Without systemd (containers), pg_ctlcluster must not hand over to it.
	answers || $sudo_ pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
	for _ in $(seq 50); do answers && break; sleep 0.2; done
	answers || { echo "postgres.sh: the server did not start" >&2; exit 1; }
fi
# A fresh install asks for passwords over TCP and has no database test:
# the tests want trust auth on loopback and database test.
if ! psql -h 127.0.0.1 -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; then
	sudo_=""
	[ "$(id -u)" -eq 0 ] || sudo_=sudo
	as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
	hba=$(as_pg psql -Atqc 'SHOW hba_file')
	if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
		$sudo_ sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
		as_pg psql -Atqc 'SELECT pg_reload_conf()' >/dev/null
	fi
	as_pg psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 || as_pg createdb test
fi
psql -h 127.0.0.1 -U postgres -d test -Atqc 'SHOW server_version' | sed 's/^/postgresql /'
