"""A month in the ledger as the pipeline leaves it: differences of every group, a year of history, a Multibanco
document, one above the Multibanco limit (IBAN only) and one collected by direct debit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D


from ciclo.reconciliacao import TrabalhadorInterno, reconciliar
from tests.ledger_fixtures import gravar_interno
from tests.integration.reconciliacao.test_reconciliacao import EE, MES, ss_doc

NOME = "Exemplo, Lda."
# the obligation of the eleven months before MES (202509): 202410 .. 202508
HISTORICO = {f"{a}{m:02d}": D(v) for (a, m), v in zip(
    [(2024, 10), (2024, 11), (2024, 12)] + [(2025, m) for m in range(1, 9)],
    ["1040.00", "1040.00", "2080.00", "1050.00", "1050.00", "1075.50", "1075.50", "1075.50", "1100.00", "2200.00",
     "1000.00"])}


def mes_completo(ledger, *, decidido_por="{'id': 'operadora.ana', 'name': 'Ana Sousa'}") -> None:
    ledger.apurados.guardar(EE, MES, [ss_doc("10000000011", {"P": "1600.00"}), ss_doc("10000000022", {"P": "1600.00"}),
                                    ss_doc("10000000088", {"P": "1600.00"}, obrigacao="556.01")])
    gravar_interno(ledger, EE, MES, [
        TrabalhadorInterno("10000000011", "REGIME_GERAL", {"P": D("1600.00")}, dias_trabalho=D(30),
                           folha_cotizacao=D("176.00"), folha_contribuicao=D("390.00")),  # payroll software ≠ table
        TrabalhadorInterno("10000000022", "REGIME_GERAL", {"P": D("1650.00")}, dias_trabalho=D(30)),
        TrabalhadorInterno("10000000088", "REGIME_GERAL", {"P": D("1600.00")}, dias_trabalho=D(30)),
    ], date(2025, 9, 1))
    reconciliar(ledger, EE, MES)
    for am, v in HISTORICO.items():
        ledger.apuramentos.registar(EE, am, "CONFIRMADO", total_obrigacao=v)
    ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=3, total_obrigacao=D("1668.01"),
                             data_limite_pagamento=date(2025, 10, 25))
    ledger.decisoes.registar(EE, MES, "CONFIRMADO", "aprovada", decidido_por, "diferença explicada pelo aumento")
    key = "k" * 64
    ledger.submissoes.inserir(key, EE, MES, "h" * 64, 3, False)
    ledger.submissoes.atualizar(key, estado="ACKNOWLEDGED", comprovativo_entrega="CE-2025-0001", tentativas=1)
    ct = ledger.contratos.inserir(EE, "10000000022", MES, date(2024, 1, 1), "c" * 64, {"remuneracao-base": "1650.00"})
    ledger.contratos.atualizar(ct["id"], estado="ACKNOWLEDGED", codigo_resultado=0)
    ledger.auditoria.registar("declaracao-remuneracoes", "POST", "ok", 120, status=201, niss_ee=EE, ano_mes=MES)
    ledger.auditoria.registar("documento-pagamento/pedido-emissao", "POST", "ok", 80, status=200, niss_ee=EE, ano_mes=MES)
    ledger.documentos.gravar(EE, MES, [
        {"tipo": "DP", "subtipo": "CONTRIB", "numeroDocumentoPagamento": "400012345678", "dataValidade": "2025-10-25",
         "valor": D("1112.00"), "referenciaDocumentoPagamento": {"pagamentoMultibanco": {"entidadeMultibanco": "20638",
         "referenciaMultibanco": "123456789"}, "pagamentoTransferenciaBancaria": {"iban": "PT50000000000000000000000"}}},
        {"tipo": "DP", "subtipo": "CONTRIB", "numeroDocumentoPagamento": "400012345679", "dataValidade": "2025-10-25",
         "valor": D("120000.00"), "referenciaDocumentoPagamento": {"pagamentoMultibanco": None,
         "pagamentoTransferenciaBancaria": {"iban": "PT50000000000000000000001"}}},
        {"tipo": "DP", "subtipo": "CONTRIB", "numeroDocumentoPagamento": "400012345680", "dataValidade": "2025-10-25",
         "valor": D("556.01"), "referenciaDocumentoPagamento": {"pagamentoMultibanco": None,
         "pagamentoTransferenciaBancaria": None, "pagamentoDebitoDireto": {"numeroAutorizacao": "998877"}}},
    ])
