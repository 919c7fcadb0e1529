"""``make drill``'s fast subset, in the suite: the month through the application layer against the sandbox under
lost acknowledgements, 5xx, a kill -9 after a POST, bad credentials, two concurrent executions, a crash followed
by an edited payroll and a blocked payroll — on SQLite and, when the suite started one, on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.mark.timeout(1500)
def test_fast_drill_holds_on_every_ledger():
    cmd = [sys.executable, "-m", "ciclo_dev.drill", "--fast"]
    if os.environ.get("CICLO_TEST_PG_URL"):
        cmd += ["--pg", os.environ["CICLO_TEST_PG_URL"]]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=1400)
    linhas = [l for l in r.stdout.splitlines() if l.startswith("{")]
    assert linhas, r.stdout[-3000:] + r.stderr[-3000:]
    for resumo in map(json.loads, linhas):
        quebrados = [l for l in r.stdout.splitlines() if l.startswith("BROKEN")]
        assert resumo["held"] == resumo["cases"] and resumo["cases"] >= 8, quebrados
        assert resumo["duplicate_posts"] == 0 and resumo["lost"] == 0, quebrados
    assert r.returncode == 0, r.stdout[-3000:]
