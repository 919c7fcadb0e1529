"""Confirmation and payment documents through the application layer against the sandbox: each exactly once,
even when retried."""

import pytest

from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.decisao import aplicar_resposta
from ciclo.app.documentos import emitir_documentos
from ciclo.app.portas import FontePastaLocal, LigacaoDireta, Portas
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger
from ciclo.psi import errors as E
from ciclo.psi.rest import RetryPolicy

EE, MES = "20000003116", "202509"


@pytest.fixture
def ctx(sandbox, tmp_path):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.2})
    d = Definicoes(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'l.sqlite3'}", emissao_poll_s=0.1)
    lig = LigacaoDireta.sandbox(sandbox.url, EE, "sandbox", retry=RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1))
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=lambda e: lig, fonte=FontePastaLocal())
    ex = Execucao(Employer(EE, "Exemplo", "psi_x", "file:///nada"), AnoMes.parse(MES))
    yield ex, p
    p.fechar()


def _posts(sandbox, path):
    return sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": path})


def test_emission_retried_after_a_lost_acknowledgement_issues_one_document(sandbox, ctx):
    ex, p = ctx
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "automatica")
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "pedido-emissao", "mode": "lost_ack", "times": 1})
    with pytest.raises(E.PsiOutcomeUnknown):
        emitir_documentos(ex, p)
    assert p.ledger.documentos.pedido(EE, MES, 11)["estado"] == "PENDING"  # recorded before the POST
    r = emitir_documentos(ex, p)  # the task's retry asks the SS (the listing) before requesting again
    assert r.estado == "sucesso" and len(r.documentos) == 1
    assert len(_posts(sandbox, "pedido-emissao")) == 1  # never a second request
    [doc] = p.ledger.documentos.do_mes(EE, MES)
    assert doc["valor_cent"] == 55600 and doc["entidade_mb"] and doc["referencia_mb"]
    again = emitir_documentos(ex, p)
    assert again.ja_emitido and len(_posts(sandbox, "pedido-emissao")) == 1
    with p.psi(ex.employer).get_client() as c:
        assert len(c.documentos_pagamento(EE)) == 1
    # every call the steps made is in the audit, with its outcome (the lost answer as unknown)
    chamadas = [(a["metodo"], a["resultado"]) for a in p.ledger.auditoria.linhas(EE, MES)]
    assert ("POST", "desconhecido") in chamadas and ("GET", "ok") in chamadas
    assert all(a["niss_ee"] == EE and a["duracao_ms"] >= 0 for a in p.ledger.auditoria.linhas(EE, MES))


def test_no_documents_for_a_month_not_confirmed(sandbox, ctx):
    from ciclo.app.erros import NadaAFazer

    ex, p = ctx
    with pytest.raises(NadaAFazer, match="not confirmed"):
        emitir_documentos(ex, p)
    assert _posts(sandbox, "pedido-emissao") == []


def test_confirmation_is_recorded_once_and_never_repeated(sandbox, ctx):
    ex, p = ctx
    resposta = {"chosen_options": ["Approve"], "responded_by_user": {"id": "ana", "name": "Ana"}}
    r1 = aplicar_resposta(ex, p, resposta)
    r2 = aplicar_resposta(ex, p, resposta)
    assert r1.estado == r2.estado == "CONFIRMADO" and r2.ja_confirmado
    assert len(_posts(sandbox, "/confirmar")) == 1


def test_a_paid_month_shows_as_paid_in_the_next_months_report_and_portfolio(sandbox, ctx):
    """Issue 12: after the payment, the receipts make the month PAGO in the ledger, the next report and the
    portfolio; before it, NAO_PAGO."""
    from ciclo.app.pagamentos import linhas_pagamento, verificar_pagamentos
    from ciclo.relatorio.carteira import estado_carteira

    ex, p = ctx
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "automatica")
    [doc] = emitir_documentos(ex, p).documentos
    seguinte = Execucao(ex.employer, AnoMes.parse(MES).seguinte())
    assert verificar_pagamentos(seguinte, p) == {MES: "NAO_PAGO"}
    sandbox.admin("POST", "pagamentos", json={"numeroDocumentoPagamento": doc["numero"], "dataPagamento": "2025-10-20"})
    estados = verificar_pagamentos(seguinte, p)
    assert estados == {MES: "PAGO"} and p.ledger.pagamentos.obter(EE, MES)["pago_cent"] == doc["valor_cent"]
    assert linhas_pagamento(estados) == ["Pagamento das contribuições de 09/2025: paga"]
    assert verificar_pagamentos(seguinte, p) == {}  # a paid month is not asked about again
    [linha] = estado_carteira(p.ledger, MES, [{"niss_ee": EE, "nome": "Exemplo"}])
    assert linha.pago == ("ok", "pago (556,00 €)")


def test_what_is_still_processing_is_said_while_waiting(sandbox, ctx):
    from ciclo.app.apuramento import em_processamento

    ex, p = ctx
    with p.cliente(ex) as c:
        texto = em_processamento(c, EE, MES)
    assert "still processing without alerts" in texto and "with alerts" in texto
