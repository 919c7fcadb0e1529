"""The ledger on a real database (SQLite, and PostgreSQL when the suite started one)."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ciclo.domain import jsonexato
from ciclo.ledger import Ledger
from ciclo.domain.dinheiro import from_cent

EXEMPLO = jsonexato.loads("""{
  "anoMes": "202509", "nissTrabalhador": 10000000001, "totalRemuneracao": 1600, "totalContribuicao": 556,
  "totalReducao": 0, "totalObrigacao": 556,
  "remuneracoes": [{"dataInicio": "2022-06-06", "dataFim": null, "natureza": "P", "remuneracao": 1600,
                    "diasTrabalho": 30.0, "origem": "SEGURANCA_SOCIAL", "diasInatividade": 0.0, "inatividades": []},
                   {"dataInicio": "2025-09-01", "dataFim": "2025-09-30", "natureza": "R", "remuneracao": 120.55,
                    "diasTrabalho": 22, "origem": "ENTIDADE_EMPREGADORA", "diasInatividade": 0, "inatividades": []}],
  "contribuicoes": [{"dataInicio": "2022-06-06", "dataFim": null, "enquadramento": "Regime geral",
                     "valorCotizacao": 176.0, "taxaCotizacao": 11, "valorComplementarCotizacao": 0,
                     "taxaComplementarCotizacao": 0, "valorContribuicao": 380.0, "taxaContribuicao": 23.75,
                     "valorComplementarContribuicao": 0, "taxaComplementarContribuicao": 0, "obrigacao": 556.0}],
  "detalhesContribuicao": []}""")


def test_schema_is_versioned_and_migrations_are_idempotent(ledger_url):
    a = Ledger(ledger_url)
    b = Ledger(ledger_url)  # second start applies nothing and does not fail
    with a.engine.connect() as c:
        versions = [r[0] for r in c.execute(sa.text("SELECT version FROM ciclo_schema_version ORDER BY version"))]
    from ciclo.ledger import sql_dir

    assert versions == sorted(int(p.name[:4]) for p in (sql_dir() / "ledger").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    assert versions[:2] == [1, 2]
    assert {"submissao", "valores_apurados", "chamada_externa", "contrato_comunicado"} <= set(b.t)
    a.dispose(), b.dispose()


def test_valores_apurados_stored_raw_and_normalised_exactly(ledger):
    ledger.apurados.guardar("20000003116", "202509", [EXEMPLO])
    [row] = ledger.apurados.do_mes("20000003116", "202509")
    assert row["niss_trabalhador"] == "10000000001"
    assert from_cent(row["total_obrigacao_cent"]) == Decimal("556.00")
    assert jsonexato.loads(row["raw_json"]) == EXEMPLO  # as received, decimals exact
    with ledger.begin() as c:
        rem = dict(c.execute(sa.text(
            "SELECT natureza, remuneracao_cent FROM apurado_remuneracao ORDER BY natureza")).all())
        con = c.execute(sa.text("SELECT enquadramento, valor_cotizacao_cent, valor_contribuicao_cent FROM apurado_contribuicao")).one()
    assert rem == {"P": 160000, "R": 12055}
    assert tuple(con) == ("Regime geral", 17600, 38000)
    # storing again (a re-run) replaces instead of duplicating
    ledger.apurados.guardar("20000003116", "202509", [EXEMPLO])
    assert len(ledger.apurados.do_mes("20000003116", "202509")) == 1
    assert ledger.apurados.em_falta("20000003116", "202509", ["10000000001", 12345678910]) == ["12345678910"]
    # a set already read is used as given (no second query): here one that holds neither
    assert ledger.apurados.em_falta("20000003116", "202509", [12345678910, "10000000001"], obtidos=set()) == [
        "10000000001", "12345678910"]


def test_submission_lifecycle_and_unique_key(ledger):
    import pytest

    s = ledger.submissoes.inserir("k" * 64, "20000003116", "202509", "h" * 64, 3, correcao=False)
    assert s["estado"] == "PENDING" and s["correcao"] in (False, 0)
    with pytest.raises(sa.exc.IntegrityError):
        ledger.submissoes.inserir("k" * 64, "20000003116", "202509", "h" * 64, 3, correcao=False)
    s = ledger.submissoes.atualizar("k" * 64, estado="ACKNOWLEDGED", comprovativo_entrega="abc")
    assert s["estado"] == "ACKNOWLEDGED"
    assert ledger.submissoes.comprovativos_conhecidos("20000003116", "202509") == {"abc"}


def test_contract_and_apuramento_and_audit(ledger):
    row = ledger.contratos.inserir("20000003116", "10000000001", "202509", date(2025, 9, 1), "c" * 64,
                                 {"remuneracao_base": Decimal("1650.00"), "inicio_contrato": date(2025, 9, 1)})
    assert ledger.contratos.comunicados("20000003116").get("10000000001") is None  # still PENDING
    ledger.contratos.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1)
    assert ledger.contratos.comunicados("20000003116").get("10000000001")["campos_hash"] == "c" * 64
    ledger.apuramentos.registar("20000003116", "202509", "APURADO", n_trabalhadores=1,
                             total_obrigacao=Decimal("556.00"), data_limite_pagamento=date(2025, 10, 25))
    ledger.apuramentos.registar("20000003116", "202509", "CONFIRMADO")
    assert ledger.apuramentos.obter("20000003116", "202509")["estado"] == "CONFIRMADO"
    ledger.auditoria.registar("valores-apurados-trabalhador", "GET", "ok", 12, status=200, niss_ee="20000003116", ano_mes="202509")
    [a] = ledger.auditoria.linhas("20000003116")
    assert a["servico"] == "valores-apurados-trabalhador" and a["status"] == 200


def test_audit_view_and_cli(ledger, capsys):
    from ciclo.ledger.__main__ import main

    ledger.auditoria.registar("enviarValoresRemuneracao", "POST", "desconhecido", 3000, status=None,
                              niss_ee="20000003116", ano_mes="202509", erro_classe="PsiOutcomeUnknown")
    ledger.auditoria.registar("consultarComprovativosEntrega", "GET", "ok", 40, status=200, niss_ee="20000003116",
                              ano_mes="202509")
    assert main([ledger.url, "--ee", "20000003116", "--mes", "202509"]) == 0
    linhas = capsys.readouterr().out.splitlines()
    assert len(linhas) == 2 and "desconhecido" in linhas[0] and "PsiOutcomeUnknown" in linhas[0] and "200" in linhas[1]


def test_a_read_neither_waits_for_a_write_in_progress_nor_sees_it(ledger):
    """Reads (``Ledger.ler``: every repository's look-ups) run beside an open writing transaction: they see the
    last committed state at once. On SQLite they used to take the write lock too, and so waited for every writer."""
    import threading

    escrito, fim = threading.Event(), threading.Event()

    def escritor():
        with ledger.begin() as c:
            c.execute(ledger.t["chamada_externa"].insert().values(
                servico="s", metodo="GET", resultado="ok", duracao_ms=1, created_at=ledger_now()))
            escrito.set()
            fim.wait(10)

    t = threading.Thread(target=escritor)
    t.start()
    try:
        assert escrito.wait(10)
        lidos: list = []
        leitor = threading.Thread(target=lambda: lidos.append(ledger.auditoria.linhas()))
        leitor.start()
        leitor.join(5)
        assert not leitor.is_alive(), "the read waited for the writing transaction"
        assert lidos == [[]]   # the uncommitted row is not seen
    finally:
        fim.set()
        t.join(10)
    assert [r["servico"] for r in ledger.auditoria.linhas()] == ["s"]


def test_writers_of_one_process_queue_on_its_lock_not_in_sqlites_busy_handler(ledger, ledger_url):
    """On SQLite, a second thread's write starts its transaction only once the first has committed: it waited on
    the process's lock (woken at the commit), not in SQLite's busy handler (which sleeps up to 100 ms a try)."""
    import threading

    import pytest

    if not ledger_url.startswith("sqlite"):
        pytest.skip("SQLite's writer lock only")
    eventos: list[tuple[str, str]] = []

    @sa.event.listens_for(ledger.engine, "before_cursor_execute")
    def _stmt(conn, cursor, statement, *a):
        if statement.startswith("BEGIN"):
            eventos.append((threading.current_thread().name, "begin"))

    @sa.event.listens_for(ledger.engine, "commit")
    def _commit(conn):
        eventos.append((threading.current_thread().name, "commit"))

    try:
        dentro = threading.Event()

        def primeiro():
            with ledger.begin() as c:
                dentro.set()
                c.execute(ledger.t["chamada_externa"].insert().values(
                    servico="a", metodo="GET", resultado="ok", duracao_ms=1, created_at=ledger_now()))
                segundo_t.start()
                segundo_t.join(0.3)   # the second is waiting meanwhile

        segundo_t = threading.Thread(name="B", target=lambda: ledger.auditoria.registar("b", "GET", "ok", 1))
        primeiro_t = threading.Thread(name="A", target=primeiro)
        primeiro_t.start()
        primeiro_t.join(10)
        segundo_t.join(10)
    finally:
        sa.event.remove(ledger.engine, "before_cursor_execute", _stmt)
        sa.event.remove(ledger.engine, "commit", _commit)
    assert eventos == [("A", "begin"), ("A", "commit"), ("B", "begin"), ("B", "commit")]
    assert sorted(r["servico"] for r in ledger.auditoria.linhas()) == ["a", "b"]


def ledger_now():
    from ciclo.ledger.db import now

    return now()


def test_audit_rows_of_many_threads_are_each_written_once(ledger):
    """A lote's employer threads audit their calls at the same time: every row is committed once (the group commit
    writes the rows that queued meanwhile together) and every call returns only after its row is in."""
    import threading

    nao_gravadas: list[str] = []   # an assert inside a thread would not fail the test: collected here instead

    def auditar(t):
        for i in range(10):
            ledger.auditoria.registar(f"s{t}-{i}", "GET", "ok", 1, niss_ee="20000003116", ano_mes="202509")
            if not any(r["servico"] == f"s{t}-{i}" for r in ledger.auditoria.linhas("20000003116")):
                nao_gravadas.append(f"s{t}-{i}")

    fios = [threading.Thread(target=auditar, args=(t,)) for t in range(12)]
    for f in fios:
        f.start()
    for f in fios:
        f.join(30)
    assert nao_gravadas == []   # every call returned only once its row was committed
    assert sorted(r["servico"] for r in ledger.auditoria.linhas()) == sorted(f"s{t}-{i}" for t in range(12)
                                                                         for i in range(10))
