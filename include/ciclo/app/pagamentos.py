"""Were the earlier months paid? The Segurança Social's payment receipts (``GET /ci/comprovativos-pagamento/{ano}``,
PUBLIC-CLIENT, listed by year of payment) matched to the documents the ledger holds; each month recorded as
PAGO / PARCIALMENTE_PAGO / NAO_PAGO, shown in the next report and in the portfolio."""

from __future__ import annotations

import logging
from ciclo.app.contexto import Execucao
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)


def verificar_pagamentos(ex: Execucao, p: Portas) -> dict[str, str]:
    """The payment state of every earlier month of this employer with documents not yet known to be paid."""
    from ciclo.domain.dinheiro import from_cent
    from ciclo.psi.pagamentos import situacao_pagamento

    por_mes = p.ledger.pagamentos.meses_por_verificar(ex.niss_ee, ex.mes)
    if not por_mes:
        return {}
    # a month's documents are paid in the following month (or later): its year and the next
    anos = sorted({int(m[:4]) + k for m in por_mes for k in (0, 1)})
    with p.cliente(ex) as client:
        recibos = [r for ano in anos for r in client.comprovativos_pagamento(ano, niss_ee=ex.niss_ee)]
    out = {}
    for mes, docs in por_mes.items():
        s = situacao_pagamento([(n, from_cent(c)) for n, c in docs], recibos)
        p.ledger.pagamentos.registar(ex.niss_ee, mes, s.estado, s.valor_devido, s.valor_pago)
        out[mes] = s.estado
        if s.estado != "PAGO":
            log.warning("%s: month %s is %s (%s of %s paid)", ex.rotulo, mes, s.estado, s.valor_pago,
                        s.valor_devido)
    return out


def linhas_pagamento(estados: dict[str, str]) -> list[str]:
    """What the report says of each earlier month's payment."""
    nomes = {"PAGO": "paga", "PARCIALMENTE_PAGO": "PAGA EM PARTE — há valores em falta",
             "NAO_PAGO": "POR PAGAR — sem comprovativo de pagamento na Segurança Social"}
    return [f"Pagamento das contribuições de {m[4:]}/{m[:4]}: {nomes.get(e, e)}" for m, e in sorted(estados.items())]

