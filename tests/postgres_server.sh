#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that need a real one (tests/integration/test_postgres.py,
# tests/integration/test_gx_sql.py).
#
#   tests/postgres_server.sh start   # initdb + start on 127.0.0.1, print the URL for KL_DRIFT_POSTGRES_URL
#   tests/postgres_server.sh stop    # stop it and delete its files (safe when nothing runs)
#   tests/postgres_server.sh url     # print the URL again
#
# For example:  export KL_DRIFT_POSTGRES_URL=$(tests/postgres_server.sh start) && make test
#
# The cluster lives in a temporary directory, trusts local connections (it listens on
# 127.0.0.1 only) and holds nothing worth keeping. PostgreSQL refuses to run as root, so as
# root (CI) the server commands run as the `postgres` user that Debian's package creates.
# Settings: KL_DRIFT_POSTGRES_PORT (default 54329), KL_DRIFT_POSTGRES_DIR (default
# ${TMPDIR:-/tmp}/kl_drift-postgres-<port>).
set -euo pipefail

PORT="${KL_DRIFT_POSTGRES_PORT:-54329}"
DIR="${KL_DRIFT_POSTGRES_DIR:-${TMPDIR:-/tmp}/kl_drift-postgres-$PORT}"
DATABASE=kl_drift
URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/$DATABASE"

die() {
  echo "postgres_server.sh: $*" >&2
  exit 1
}

bin_dir() {
  # Debian keeps the server programs out of PATH, one folder per major version.
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || die "no PostgreSQL server found (initdb/pg_ctl); install it, e.g. apt-get install -y postgresql"
  echo "$found"
}

as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$DIR/data/postmaster.pid" ] && as_server_user "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

start() {
  if running; then
    echo "$URL"
    return
  fi
  if port_taken; then
    die "port $PORT on 127.0.0.1 is in use by another program; choose a free one with KL_DRIFT_POSTGRES_PORT"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$DIR"
  as_server_user "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || die "initdb failed; see $DIR/initdb.log"
  # Only 127.0.0.1, and the socket in the cluster's own folder (the system one may not be writable).
  as_server_user "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c full_page_writes=off" start >/dev/null \
    || die "the server did not start; see $DIR/server.log"
  as_server_user "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DATABASE" \
    || die "createdb $DATABASE failed; see $DIR/server.log"
  echo "$URL"
}

stop() {
  if running; then
    as_server_user "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
  fi
  rm -rf "$DIR"
}

BIN=$(bin_dir)
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) die "usage: $0 start|stop|url" ;;
esac
