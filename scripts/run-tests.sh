#!/usr/bin/env bash
# Runs the whole test suite. PostgreSQL (for the ledger/reconciliation/DAG tests that run on both databases) is
# installed if missing, started on loopback here and stopped on exit. The PSI sandbox and the SMTP server are
# started per test session by fixtures in tests/conftest.py.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/ciclo-pg-XXXXXX)
cleanup() { bash scripts/pg.sh stop "$pgdir" || true; }
trap cleanup EXIT
if url=$(bash scripts/pg.sh start "$pgdir"); then
  export CICLO_TEST_PG_URL="$url"
  echo "PostgreSQL for tests: ${url}"
else
  if [ "${CI:-}" = "true" ]; then echo "PostgreSQL could not be started in CI" >&2; exit 1; fi
  echo "WARNING: PostgreSQL could not be started; PostgreSQL-marked tests will be skipped" >&2
fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
