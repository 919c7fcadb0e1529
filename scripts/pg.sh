#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for the test suite.
#   scripts/pg.sh start DIR   → installs PostgreSQL from Debian's packages if missing, initdb's DIR, starts it on a
#                               free port, creates database ciclo_test, prints the SQLAlchemy URL on stdout.
#   scripts/pg.sh stop DIR    → stops it and removes DIR.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ "$cmd" = stop ]; then
  bin=$(find_bin)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit 0
fi

bin=$(find_bin)
if [ -z "$bin" ]; then
  echo "PostgreSQL server not found: installing it from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi
[ -n "$bin" ] || { echo "could not install PostgreSQL" >&2; exit 1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ciclo_test
echo "postgresql+psycopg://postgres@127.0.0.1:$port/ciclo_test"
