#!/usr/bin/env bash
# make drill: the fault drill on SQLite and, with a throw-away PostgreSQL on loopback (installed if missing), on
# PostgreSQL too. Arguments go to `python -m ciclo_dev.drill` (e.g. --fast). Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/ciclo-drill-pg-XXXXXX)
cleanup() { bash scripts/pg.sh stop "$pgdir" || true; }
trap cleanup EXIT
args=("$@")
if url=$(bash scripts/pg.sh start "$pgdir"); then
  args+=(--pg "$url")
else
  echo "WARNING: PostgreSQL could not be started; the drill runs on SQLite only" >&2
fi
.venv/bin/python -m ciclo_dev.drill "${args[@]}"
