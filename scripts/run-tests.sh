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
# poppler-utils (pdftoppm, pdftotext) render and read the payment-document PDFs in tests/integration/relatorio;
# chromium takes the portfolio page's screenshot in tests/e2e. Debian packages: installed if missing (root/CI).
need=()
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q "${need[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
  else
    echo "WARNING: ${need[*]} missing and not installable here; the tests that need them will skip" >&2
  fi
fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
