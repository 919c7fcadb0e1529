"""The payment-document protocol (``ciclo.psi.documentos``) against the sandbox over real HTTP: 10 → 1, 10 → 15,
14 → asked again once, never a second emission while one is processing; sync and async clients."""

from __future__ import annotations

import asyncio

import pytest

from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.documentos import ChaveDesconhecida, EmissaoEmProcessamento, aobter_documentos, obter_documentos
from ciclo.psi.rest import AsyncPsiClient, PsiClient, RetryPolicy

EE, EE_IND, REP = "20000003116", "20000000108", "25000000014"
RAPIDO = RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1)


def cliente(sb, niss=EE, tipo="EE"):
    return PsiClient(resolver(sb.url), Credenciais(niss, password="sandbox", tipo=tipo), retry=RAPIDO)


def pedidos(sb):
    return sb.admin("GET", "requests", params={"method": "POST", "path_contains": "pedido-emissao"})


def consultas(sb):
    return sb.admin("GET", "requests", params={"method": "GET", "path_contains": "consulta-pedido/"})


def test_10_then_1_one_emission_polled_until_the_documents(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.6})
    guardadas = []
    with cliente(sandbox) as c:
        r = obter_documentos(c, intervalo_min=0.1, intervalo_max=0.2, ao_pedir=lambda ch, cod: guardadas.append((ch, cod)))
    assert r.estado == "DOCUMENTOS" and not r.sem_valores and r.pedidos == 1
    assert guardadas == [(r.chave, 1)]  # handed over before polling
    [doc] = r.documentos
    assert str(doc.valor) == "556.00"
    assert len(pedidos(sandbox)) == 1 and len(consultas(sandbox)) >= 2  # it saw 10 at least once


def test_10_then_15_nothing_to_pay_is_a_clear_result(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.3})
    with cliente(sandbox, EE_IND) as c:
        r = obter_documentos(c, intervalo_min=0.1)
    assert r.estado == "SEM_VALORES" and r.sem_valores and r.documentos == [] and "Não existem valores" in r.mensagem


def test_given_a_chave_still_processing_it_only_polls(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.5})
    with cliente(sandbox) as c:
        chave = c.pedir_emissao_documentos().chave
        r = obter_documentos(c, chave, intervalo_min=0.1)
    assert r.chave == chave and r.pedidos == 0 and len(pedidos(sandbox)) == 1


def test_14_expired_asks_again_exactly_once(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0})
    with cliente(sandbox) as c:
        primeira = obter_documentos(c, intervalo_min=0.05)
        sandbox.admin("POST", f"pedidos-emissao/{primeira.chave}/expirar")
        r = obter_documentos(c, primeira.chave, intervalo_min=0.05)
    assert r.estado == "DOCUMENTOS" and r.pedidos == 1 and r.chave != primeira.chave
    assert len(pedidos(sandbox)) == 2  # the first emission and the one re-ask


def test_unknown_chave_and_timeout_are_typed(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 30})
    with cliente(sandbox) as c:
        with pytest.raises(ChaveDesconhecida, match="codigoResultado 13"):
            obter_documentos(c, "nao-existe")
        with pytest.raises(EmissaoEmProcessamento) as ei:
            obter_documentos(c, intervalo_min=0.05, intervalo_max=0.1, timeout=0.4)
        chave = ei.value.chave
        with pytest.raises(EmissaoEmProcessamento):
            obter_documentos(c, chave, intervalo_min=0.05, timeout=0.2)  # a retry polls the same request
    assert len(pedidos(sandbox)) == 1 and ei.value.retryable


def test_a_representative_obtains_the_documents_of_an_employer_it_represents(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0})
    with cliente(sandbox, REP, tipo="REPRESENTANTE") as c:
        r = obter_documentos(c, niss_ee=EE, intervalo_min=0.05)
    assert r.estado == "DOCUMENTOS" and len(r.documentos) == 1
    [pedido] = pedidos(sandbox)
    assert "niss-representado=20000003116" in pedido["query"] and pedido["niss"] == REP


def test_async_client_runs_the_same_protocol(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.3})

    async def main():
        async with AsyncPsiClient(resolver(sandbox.url), Credenciais(EE, password="sandbox"), retry=RAPIDO) as c:
            return await aobter_documentos(c, intervalo_min=0.1)

    r = asyncio.run(main())
    assert r.estado == "DOCUMENTOS" and len(r.documentos) == 1 and len(pedidos(sandbox)) == 1


def test_a_simulated_payment_makes_the_month_paid_from_the_receipts(sandbox):
    from ciclo.psi.pagamentos import NAO_PAGO, PAGO, situacao_pagamento

    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0})
    with cliente(sandbox) as c:
        docs = [(str(d.numeroDocumentoPagamento), d.valor) for d in obter_documentos(c, intervalo_min=0.05).documentos]
        assert situacao_pagamento(docs, c.comprovativos_pagamento(2026)).estado == NAO_PAGO
        sandbox.admin("POST", "pagamentos", json={"numeroDocumentoPagamento": docs[0][0], "dataPagamento": "2026-01-15"})
        s = situacao_pagamento(docs, c.comprovativos_pagamento(2026))
    assert s.estado == PAGO and s.pagos == {docs[0][0]: "2026-01-15"}
