#!/usr/bin/env bash
# Runs the whole test suite. Services needed only by some tests (PostgreSQL) are started here and stopped on exit;
# the PSI sandbox and the SMTP catcher are started per test session by tests/conftest.py fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
