"""Closing the month: confirmation of the valores apurados and the payment documents, each exactly once.

Confirmation: the ledger row (PENDING → CONFIRMADO) guards against a second confirmation; the Segurança Social's
own answer (``jaConfirmado``) covers a crash between its answer and our commit.

Payment documents (``ambito`` 11): the emission request is recorded PENDING before the POST. Answers 10 (a
request is already processing) and 11 (a valid document already exists) carry the existing ``chave``, so a
repeated request never issues a second document; the chave is then polled until ``sucesso`` / ``sem_valores`` /
``expirado`` and the documents are stored.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ciclo.domain import jsonexato
from ciclo.pipeline.campos import campo as _g
from ciclo.ledger.db import now, to_cent

log = logging.getLogger(__name__)

AMBITO_CONTRIBUICOES_EE = 11




# ------------------------------------------------------------------------------------------------ confirmation
def confirmacao(ledger, niss_ee: str, ano_mes: str) -> dict | None:
    t = ledger.t["confirmacao"]
    with ledger.begin() as c:
        r = c.execute(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)).mappings().first()
    return dict(r) if r else None


def registar_decisao(ledger, niss_ee: str, ano_mes: str, estado: str, modo: str, decidido_por: str | None = None,
                     nota: str | None = None, data_confirmacao: str | None = None) -> None:
    with ledger.begin() as c:
        ledger._upsert(c, "confirmacao", [{
            "niss_ee": niss_ee, "ano_mes": ano_mes, "estado": estado, "modo": modo, "decidido_por": decidido_por,
            "nota": nota, "data_confirmacao": data_confirmacao, "created_at": now(), "updated_at": now(),
        }], keys=["niss_ee", "ano_mes"])


def confirmar(ledger, client, niss_ee: str, ano_mes: str, modo: str, decidido_por: str | None = None,
              nota: str | None = None) -> dict:
    """Confirm once. Returns ``{"estado": "CONFIRMADO", "ja_confirmado": bool, ...}``."""
    atual = confirmacao(ledger, niss_ee, ano_mes)
    if atual and atual["estado"] == "CONFIRMADO":
        log.info("%s %s already confirmed on %s: not confirming again", niss_ee, ano_mes, atual["data_confirmacao"])
        return {**atual, "ja_confirmado": True}
    registar_decisao(ledger, niss_ee, ano_mes, "PENDING", modo, decidido_por, nota)
    resposta = client.confirmar(niss_ee, ano_mes)
    data = _g(resposta, "dataConfirmacao", "data_confirmacao")
    registar_decisao(ledger, niss_ee, ano_mes, "CONFIRMADO", modo, decidido_por, nota, str(data) if data else None)
    return {**confirmacao(ledger, niss_ee, ano_mes), "ja_confirmado": bool(_g(resposta, "jaConfirmado", "ja_confirmado", default=False))}


# ------------------------------------------------------------------------------------------------ payment documents
def pedido(ledger, niss_ee: str, ano_mes: str, ambito: int = AMBITO_CONTRIBUICOES_EE) -> dict | None:
    t = ledger.t["pedido_emissao"]
    with ledger.begin() as c:
        r = c.execute(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes, t.c.ambito == ambito)).mappings().first()
    return dict(r) if r else None


def _gravar_pedido(ledger, niss_ee, ano_mes, ambito, **values):
    atual = pedido(ledger, niss_ee, ano_mes, ambito) or {"created_at": now()}
    row = {"niss_ee": niss_ee, "ano_mes": ano_mes, "ambito": ambito, "chave": atual.get("chave"),
           "codigo_resultado": atual.get("codigo_resultado"), "estado": atual.get("estado", "PENDING"),
           "created_at": atual["created_at"], "updated_at": now()}
    row.update(values)
    with ledger.begin() as c:
        ledger._upsert(c, "pedido_emissao", [row], keys=["niss_ee", "ano_mes", "ambito"])


def documentos(ledger, niss_ee: str, ano_mes: str) -> list[dict]:
    t = ledger.t["documento_pagamento"]
    with ledger.begin() as c:
        return [dict(r) for r in c.execute(sa.select(t).where(t.c.niss_ee == niss_ee, t.c.ano_mes == ano_mes)
                                           .order_by(t.c.numero)).mappings()]


def _gravar_documentos(ledger, niss_ee, ano_mes, docs: list) -> list[dict]:
    rows = []
    for d in docs:
        raw = d if isinstance(d, dict) else d.model_dump(by_alias=True, mode="python")
        ref = raw.get("referenciaDocumentoPagamento") or {}
        mb = ref.get("pagamentoMultibanco") or {}
        tb = ref.get("pagamentoTransferenciaBancaria") or {}
        validade = raw.get("dataValidade")
        rows.append({
            "niss_ee": niss_ee, "ano_mes": ano_mes, "numero": str(raw["numeroDocumentoPagamento"]),
            "tipo": raw.get("tipo"), "subtipo": raw.get("subtipo"), "valor_cent": to_cent(raw["valor"]),
            "data_validade": validade if isinstance(validade, date) or validade is None else date.fromisoformat(str(validade)[:10]),
            "entidade_mb": _s(mb.get("entidadeMultibanco")), "referencia_mb": _s(mb.get("referenciaMultibanco")),
            "iban": tb.get("iban"), "raw_json": jsonexato.dumps(raw), "obtido_em": now(),
        })
    with ledger.begin() as c:
        ledger._upsert(c, "documento_pagamento", rows, keys=["niss_ee", "ano_mes", "numero"])
    return rows


def _s(v):
    return None if v is None else str(v)


def emitir_documentos(ledger, client, niss_ee: str, ano_mes: str, *, ambito: int = AMBITO_CONTRIBUICOES_EE,
                      poll_seconds: float = 2.0, timeout_seconds: float = 300.0, sleep=time.sleep) -> dict:
    """Request (once), poll and store the payment documents of a month. Returns {"estado", "documentos": [...]}.
    The PSI protocol (emission → poll by chave until 1/15/14) is ``ciclo.psi.documentos.obter_documentos``."""
    from ciclo.psi.documentos import EmissaoEmProcessamento, obter_documentos

    atual = pedido(ledger, niss_ee, ano_mes, ambito)
    if atual and atual["estado"] == "sucesso" and documentos(ledger, niss_ee, ano_mes):
        return {"estado": "sucesso", "chave": atual["chave"], "documentos": documentos(ledger, niss_ee, ano_mes),
                "ja_emitido": True}
    if atual and atual["estado"] == "sem_valores":
        return {"estado": "sem_valores", "chave": atual["chave"], "documentos": [], "ja_emitido": True}
    chave = atual.get("chave") if atual and atual["estado"] == "processando" else None
    if not chave:
        _gravar_pedido(ledger, niss_ee, ano_mes, ambito, estado="PENDING")

    def ao_pedir(nova: str, codigo: int) -> None:
        # 1 accepted, 10 already processing, 11 a valid answer exists — all name the chave to follow; stored before
        # polling so that a retry resumes it instead of asking again.
        log.info("payment document request %s %s: codigoResultado %s", niss_ee, ano_mes, codigo)
        _gravar_pedido(ledger, niss_ee, ano_mes, ambito, chave=nova, codigo_resultado=codigo, estado="processando")

    try:
        r = obter_documentos(client, chave, niss_ee=niss_ee, ambito=ambito, intervalo_min=poll_seconds,
                             intervalo_max=max(poll_seconds, 30.0), timeout=timeout_seconds, ao_pedir=ao_pedir,
                             sleep=sleep)
    except EmissaoEmProcessamento as exc:
        raise TimeoutError(str(exc)) from None
    if r.sem_valores:
        _gravar_pedido(ledger, niss_ee, ano_mes, ambito, chave=r.chave, estado="sem_valores")
        return {"estado": "sem_valores", "chave": r.chave, "documentos": [], "ja_emitido": False}
    # The emission names no month; a document may say which month it pays (sandbox extra ``anoMes``): keep this one's.
    def do_mes(lista):
        return [d for d in lista if (d.model_extra or {}).get("anoMes") in (None, ano_mes)]

    docs = do_mes(r.documentos)
    if not docs and r.documentos:
        # 11 named an answer that holds other months' documents: this month's are in the employer's listing
        docs = do_mes(client.documentos_pagamento(niss_ee))
    _gravar_pedido(ledger, niss_ee, ano_mes, ambito, chave=r.chave, estado="sucesso")
    rows = _gravar_documentos(ledger, niss_ee, ano_mes, docs)
    return {"estado": "sucesso", "chave": r.chave, "documentos": rows, "ja_emitido": False}


def total_documentos(rows: list[dict]) -> Decimal:
    return sum((Decimal(r["valor_cent"]) / 100 for r in rows), Decimal("0.00"))
