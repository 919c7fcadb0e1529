#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for `make airflow-celery` and tests/e2e/test_celery.py: the same services the
# production compose file runs (docker-compose.yaml), from Debian's packages, installed here when missing.
#   scripts/services.sh start DIR  → PostgreSQL (databases `airflow` for Airflow's metadata and `ciclo_ledger` for
#                                    the ledger, never the same one) and Redis (the Celery broker), each on a free
#                                    port of 127.0.0.1, data under DIR; prints shell assignments on stdout:
#                                    CICLO_PG_PORT=... CICLO_REDIS_PORT=...
#   scripts/services.sh stop DIR   → stops both and removes DIR.
# Both servers bind 127.0.0.1 only and trust local connections: a development/test set-up, not production.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}
here=$(cd "$(dirname "$0")" && pwd)

if [ "$cmd" = stop ]; then
  if [ -f "$dir/redis/redis.pid" ]; then
    kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$dir/redis/redis.pid" ] || break; sleep 0.1; done
  fi
  if [ -f "$dir/pgdir" ]; then bash "$here/pg.sh" stop "$(cat "$dir/pgdir")"; fi
  rm -rf "$dir"
  exit 0
fi

apt_install() {
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # other sessions may hold the dpkg lock for a while: wait for it rather than fail
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >&2
}

if ! command -v redis-server >/dev/null; then
  echo "Redis server not found: installing it from Debian's packages" >&2
  apt_install redis-server
fi
command -v redis-server >/dev/null || { echo "could not install Redis" >&2; exit 1; }

mkdir -p "$dir"
# PostgreSQL runs as the postgres user, who may not traverse DIR (pytest's temporary folders are private to
# their owner): its data goes to a folder of its own under /tmp, recorded in DIR/pgdir for `stop`.
pgdir=$(mktemp -d /tmp/ciclo-services-pg-XXXXXX)
echo "$pgdir" > "$dir/pgdir"
pg_url=$(bash "$here/pg.sh" start "$pgdir")
pg_port=$(sed -E 's|.*@127\.0\.0\.1:([0-9]+)/.*|\1|' <<<"$pg_url")
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
for db in airflow ciclo_ledger; do as_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db"; done

mkdir -p "$dir/redis"
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --save '' --appendonly no \
  --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >&2
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" ping >/dev/null || { echo "Redis did not answer on port $redis_port" >&2; exit 1; }
echo "CICLO_PG_PORT=$pg_port"
echo "CICLO_REDIS_PORT=$redis_port"
