#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 (recipe from shared/design/STACK-NOTES.md).
#   scripts/pg-test.sh uv run --frozen pytest -q
#   scripts/pg-test.sh psql -c 'select 1'         # PGHOST/PGPORT/PGUSER/... are exported too
#   scripts/pg-test.sh bash -c 'psql "$DATABASE_URL" -c "select 1"'
# Starts a cluster in a temp dir as the postgres OS user (initdb/postgres refuse root) on a
# free loopback port, creates role and database careweave (CREATEDB, so pytest-django can
# create test_careweave), exports DATABASE_URL, runs "$@", then stops and removes the
# cluster, exiting with the command's exit code. fsync is off (tests) unless PG_DURABLE=1.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
  echo "pg-test: installing postgresql-15" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
id postgres >/dev/null 2>&1 || { echo "pg-test: no 'postgres' OS user (install postgresql-15)" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  pg_as() { runuser -u postgres -- "$@"; }
elif [ "$(id -un)" = postgres ]; then
  pg_as() { "$@"; }
else
  pg_as() { sudo -n -u postgres -- "$@"; }
fi

# Tests need no durability; the benchmark measures with PostgreSQL's defaults (PG_DURABLE=1).
if [ "${PG_DURABLE:-0}" = 1 ]; then
  DURABILITY=""
else
  DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

PGTMP=$(mktemp -d /tmp/pgci.XXXXXX)
chmod 755 "$PGTMP"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGTMP"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

pg_stop() {
  pg_as "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$EPOCHREALTIME
pg_as "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
if ! pg_as "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP $DURABILITY" \
  start >/dev/null; then
  echo "pg-test: PostgreSQL failed to start; server log:" >&2
  cat "$PGTMP/server.log" >&2 || true
  exit 1
fi
"$PGBIN/psql" -h "$PGTMP" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE careweave LOGIN CREATEDB PASSWORD 'careweave'" \
  -c "CREATE DATABASE careweave OWNER careweave"
export DATABASE_URL="postgres://careweave:careweave@127.0.0.1:$PGPORT/careweave"
# libpq defaults too, so plain `psql` (or `psql "$DATABASE_URL"` expanded by the caller's
# shell before DATABASE_URL existed, i.e. psql "") reaches the same database.
export PGHOST=127.0.0.1 PGPORT PGUSER=careweave PGPASSWORD=careweave PGDATABASE=careweave
printf 'pg-test: PostgreSQL %s on 127.0.0.1:%s ready in %.1fs (DATABASE_URL exported)\n' \
  "$("$PGBIN/postgres" --version | awk '{print $3}')" "$PGPORT" \
  "$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" >&2

set +e
"$@"
rc=$?
set -e
exit "$rc"
