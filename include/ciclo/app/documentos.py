"""Step 9: the payment documents (``ambito`` 11: contribuições da entidade empregadora), requested once.

The emission request is recorded PENDING before the POST; the PSI protocol (emission → poll by ``chave`` until
1 / 15 / 14, PUBLIC-CLIENT) is ``ciclo.psi.documentos.obter_documentos``. Answers 10 (a request is already
processing) and 11 (a valid answer exists) carry the existing ``chave``, stored before polling, so a repeated
request never issues a second document and a retry only polls.
Only for a month this pipeline has confirmed (or recorded as accepted by silence).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ciclo.app.contexto import Execucao
from ciclo.app.erros import NadaAFazer, Repetivel
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

AMBITO_CONTRIBUICOES_EE = 11


@dataclass(frozen=True)
class ResultadoDocumentos:
    estado: str
    chave: str | None
    documentos: list[dict] = field(default_factory=list)
    ja_emitido: bool = False

    def as_dict(self) -> dict:
        return {"estado": self.estado, "chave": self.chave, "documentos": len(self.documentos),
                "ja_emitido": self.ja_emitido}


def emitir_documentos(ex: Execucao, p: Portas, *, ambito: int = AMBITO_CONTRIBUICOES_EE,
                      timeout_seconds: float = 300.0, sleep=time.sleep) -> ResultadoDocumentos:
    """Request (once, under the month's lease), poll and store the payment documents of a confirmed month."""
    from ciclo.app.concessao import concessao

    with concessao(ex, p, f"documento-pagamento-{ambito}"):
        return _emitir(ex, p, ambito, timeout_seconds, sleep)


def _emitir(ex: Execucao, p: Portas, ambito: int, timeout_seconds: float, sleep) -> ResultadoDocumentos:
    from ciclo.psi.documentos import EmissaoEmProcessamento, obter_documentos

    conf = p.ledger.decisoes.obter(ex.niss_ee, ex.mes)
    if ex.dry_run:
        raise NadaAFazer("dry run: no payment documents")
    if not conf or conf["estado"] != "CONFIRMADO":
        # Never ask for payment documents of a month this pipeline has not confirmed (or recorded as accepted).
        raise NadaAFazer(f"{ex.rotulo}: not confirmed ({(conf or {}).get('estado', 'no decision')}); no payment "
                         f"documents requested")
    repo = p.ledger.documentos
    atual = repo.pedido(ex.niss_ee, ex.mes, ambito)
    if atual and atual["estado"] == "sucesso" and repo.do_mes(ex.niss_ee, ex.mes):
        return ResultadoDocumentos("sucesso", atual["chave"], repo.do_mes(ex.niss_ee, ex.mes), ja_emitido=True)
    if atual and atual["estado"] == "sem_valores":
        return ResultadoDocumentos("sem_valores", atual["chave"], [], ja_emitido=True)
    chave = atual.get("chave") if atual and atual["estado"] == "processando" else None
    if not chave:
        repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado="PENDING")  # before the POST: evidence for a retry

    def ao_pedir(nova: str, codigo: int) -> None:
        # 1 accepted, 10 already processing, 11 a valid answer exists — all name the chave to follow; stored before
        # polling, so that a retry resumes it instead of asking again.
        log.info("payment document request %s: codigoResultado %s", ex.rotulo, codigo)
        repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=nova, codigo_resultado=codigo, estado="processando")

    with p.cliente(ex) as client:
        if atual and atual["estado"] == "PENDING":
            # An earlier attempt may have requested and lost the answer: ask the SS what it holds before any resend.
            docs = _procurar_no_ss(client, ex, p)
            if docs:
                repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado="sucesso")
                log.info("%s: the SS already issued this month's documents (an earlier answer was lost)", ex.rotulo)
                return ResultadoDocumentos("sucesso", None, repo.gravar(ex.niss_ee, ex.mes, docs), ja_emitido=True)
        try:
            r = obter_documentos(client, chave, niss_ee=ex.niss_ee, ambito=ambito,
                                 intervalo_min=p.definicoes.emissao_poll_s,
                                 intervalo_max=max(p.definicoes.emissao_poll_s, 30.0), timeout=timeout_seconds,
                                 ao_pedir=ao_pedir, sleep=sleep)
        except EmissaoEmProcessamento as exc:
            raise Repetivel(f"{ex.rotulo}: {exc}; a retry resumes polling it (no new request is made)") from None
        if r.sem_valores:
            repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=r.chave, estado="sem_valores")
            log.info("%s: processed, nothing to pay (%s)", ex.rotulo, r.mensagem or "codigoResultado 15")
            return ResultadoDocumentos("sem_valores", r.chave, [])
        # The emission names no month (PUBLIC-CLIENT): a document may say which month it pays (the sandbox's
        # ``anoMes``); when the valid answer holds other months' documents, this month's are in the listing.
        docs = _do_mes(r.documentos, ex.mes)
        if not docs and r.documentos:
            docs = _do_mes(client.documentos_pagamento(ex.niss_ee), ex.mes)
    repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=r.chave, estado="sucesso")
    rows = repo.gravar(ex.niss_ee, ex.mes, [d.model_dump(by_alias=True, mode="python") for d in docs])
    return ResultadoDocumentos("sucesso", r.chave, rows)


def _procurar_no_ss(client, ex: Execucao, p: Portas, tentativas: int = 5) -> list[dict]:
    """This month's documents in the employer's listing, waiting a little for a request still being processed."""
    for i in range(tentativas):
        docs = _do_mes(client.documentos_pagamento(ex.niss_ee), ex.mes)
        if docs:
            return [d.model_dump(by_alias=True, mode="python") for d in docs]
        if i < tentativas - 1:
            time.sleep(max(p.definicoes.emissao_poll_s, 0.5))
    return []


def _do_mes(documentos: list, ano_mes: str) -> list:
    return [d for d in documentos if (d.model_extra or {}).get("anoMes") in (None, ano_mes)]
