"""Matching payment documents to receipts: paid, partly paid, unpaid."""

from decimal import Decimal

from ciclo.psi import models as M
from ciclo.psi.pagamentos import NAO_PAGO, PAGO, PARCIAL, situacao_pagamento


def recibo(n, valor, data="2026-01-10"):
    return M.ComprovativoPagamento.model_validate({"numeroDocumentoPagamento": n, "dataPagamento": data, "valor": valor})


def test_paid_partly_paid_unpaid():
    docs = [("401", Decimal("556.00")), ("402", Decimal("120.50"))]
    s = situacao_pagamento(docs, [recibo("401", "556.00"), recibo(402, "120.50", "2026-02-01"), recibo("999", "1.00")])
    assert s.estado == PAGO and s.em_falta == Decimal("0.00") and s.pagos == {"401": "2026-01-10", "402": "2026-02-01"}
    s = situacao_pagamento(docs, [recibo("401", "556.00")])
    assert s.estado == PARCIAL and s.valor_pago == Decimal("556.00") and s.em_falta == Decimal("120.50")
    s = situacao_pagamento(docs, [recibo("402", "100.00")])
    assert s.estado == PARCIAL and s.pagos == {} and s.em_falta == Decimal("576.50")
    s = situacao_pagamento(docs, [])
    assert s.estado == NAO_PAGO and s.valor_devido == Decimal("676.50")
    assert situacao_pagamento([], []).estado == NAO_PAGO
