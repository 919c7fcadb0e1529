"""Whether payment documents were paid, from the PSI's payment receipts (``GET /ci/comprovativos-pagamento/{ano}``).

Receipts are listed by the *year of payment* and name the document they pay (``numeroDocumentoPagamento``); the
month a document belongs to is known to the caller (the ledger), so this module only matches documents to receipts.
Amounts are ``Decimal``; nothing is rounded (the service's amounts are already in cents).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ciclo.psi import models as M

PAGO, PARCIAL, NAO_PAGO = "PAGO", "PARCIALMENTE_PAGO", "NAO_PAGO"


@dataclass(frozen=True)
class SituacaoPagamento:
    """``estado``: ``PAGO`` (every document has a receipt covering its amount), ``PARCIALMENTE_PAGO`` (some amount
    paid, not all) or ``NAO_PAGO``. ``pagos`` maps each paid document number to its receipt's date (ISO)."""

    estado: str
    valor_devido: Decimal
    valor_pago: Decimal
    pagos: dict[str, str]

    @property
    def em_falta(self) -> Decimal:
        return max(self.valor_devido - self.valor_pago, Decimal("0.00"))


def situacao_pagamento(documentos: Iterable[tuple[str, Decimal]],
                       comprovativos: Iterable[M.ComprovativoPagamento]) -> SituacaoPagamento:
    """The payment state of a set of documents (``(numeroDocumentoPagamento, valor)`` pairs, e.g. one month's) given
    the receipts read from the PSI (any years). A receipt without ``valor`` counts as paying its document in full
    (the receipt item's fields are ASSUMED — docs/psi-contract.md)."""
    docs = {str(n): Decimal(v) for n, v in documentos}
    recibos: dict[str, M.ComprovativoPagamento] = {}
    for r in comprovativos:
        if str(r.numeroDocumentoPagamento) in docs:
            recibos[str(r.numeroDocumentoPagamento)] = r
    devido = sum(docs.values(), Decimal("0.00"))
    pago = sum((min(docs[n], r.valor if r.valor is not None else docs[n]) for n, r in recibos.items()), Decimal("0.00"))
    pagos = {n: (r.dataPagamento.isoformat() if r.dataPagamento else "") for n, r in recibos.items()
             if r.valor is None or r.valor >= docs[n]}
    if docs and len(pagos) == len(docs):
        estado = PAGO
    elif pago > 0:
        estado = PARCIAL
    else:
        estado = NAO_PAGO
    return SituacaoPagamento(estado, devido, pago, pagos)
