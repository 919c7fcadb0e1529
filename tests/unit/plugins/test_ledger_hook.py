"""The ledger's location: a Connection, or an explicit setting — a failing look-up never falls back."""

from __future__ import annotations

import pytest

from ciclo.app.configuracao import ConfigError


def test_a_failing_connection_lookup_fails_instead_of_opening_another_ledger(monkeypatch, tmp_path):
    from ciclo_airflow.ledger_hook import LedgerHook

    monkeypatch.setenv("CICLO_LEDGER_URL", f"sqlite:///{tmp_path / 'outro.sqlite3'}")

    def falha(*a, **k):
        raise RuntimeError("secrets backend unavailable")

    monkeypatch.setattr(LedgerHook, "get_connection", classmethod(lambda cls, *a, **k: falha()))
    with pytest.raises(RuntimeError, match="secrets backend unavailable"):
        LedgerHook().get_conn()
    assert not (tmp_path / "outro.sqlite3").exists()


def test_no_connection_uses_the_explicit_setting_or_says_what_is_missing(monkeypatch, tmp_path):
    from airflow.sdk.exceptions import AirflowNotFoundException

    from ciclo_airflow.ledger_hook import LedgerHook

    def nao_existe(*a, **k):
        raise AirflowNotFoundException("ciclo_ledger")

    monkeypatch.setattr(LedgerHook, "get_connection", classmethod(lambda cls, *a, **k: nao_existe()))
    for var in ("CICLO_LEDGER_URL", "CICLO_LEDGER_LOCAL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match="ciclo_ledger connection"):
        LedgerHook().get_conn()
    monkeypatch.setenv("CICLO_LEDGER_URL", f"sqlite:///{tmp_path / 'l.sqlite3'}")
    lg = LedgerHook().get_conn()
    assert lg.url.endswith("l.sqlite3") and "submissao" in lg.t
    lg.dispose()


def test_a_postgres_connection_uri_uses_psycopg(monkeypatch):
    from airflow.sdk import Connection

    from ciclo.app.configuracao import Definicoes
    from ciclo_airflow.ledger_hook import LedgerHook

    conn = Connection(conn_id="ciclo_ledger", conn_type="postgres", host="db", login="u", password="p", schema="ledger",
                      port=5432)
    monkeypatch.setattr(LedgerHook, "get_connection", classmethod(lambda cls, *a, **k: conn))
    assert LedgerHook().url(Definicoes()).startswith("postgresql+psycopg://u:p@db:5432/ledger")
