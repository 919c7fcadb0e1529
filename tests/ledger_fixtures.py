"""Ledger fixtures: every ledger test runs on SQLite and, when the suite started one, on PostgreSQL."""

from __future__ import annotations

import os

import pytest

PG_URL = os.environ.get("CICLO_TEST_PG_URL")


def _pg_ledger_url() -> str:
    """A fresh PostgreSQL database per test (created on the suite's server)."""
    from ciclo_dev.pg import nova_base

    return nova_base(PG_URL)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    if not PG_URL:
        pytest.skip("PostgreSQL not started (CICLO_TEST_PG_URL unset); make test starts one")
    return _pg_ledger_url()


@pytest.fixture
def ledger(ledger_url):
    from ciclo.ledger import Ledger

    lg = Ledger(ledger_url)
    yield lg
    lg.dispose()


def gravar_interno(ledger, niss_ee: str, ano_mes: str, trabalhadores, dia_ref) -> None:
    """Store internal totals the way the quality step does (``linhas_internas`` → the reconciliation repository)."""
    from ciclo.reconciliacao import linhas_internas

    ledger.reconciliacoes.gravar_internos(niss_ee, ano_mes, *linhas_internas(trabalhadores, dia_ref))
