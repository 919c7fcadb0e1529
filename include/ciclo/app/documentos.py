"""Step 9: the payment documents (``ambito`` 11: contribuições da entidade empregadora), requested once.

The emission request is recorded PENDING before the POST; the PSI protocol (emission → poll by ``chave`` until
1 / 15 / 14, PUBLIC-CLIENT) is ``ciclo.psi.documentos``. ``emitir_documentos_lote`` does it for several employers
(a lote) at once: each requests once, then all pending requests are polled together in one loop. Answers 10 (a request is already
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
    [r] = emitir_documentos_lote([ex], p, ambito=ambito, timeout_seconds=timeout_seconds, sleep=sleep)
    if isinstance(r, Exception):
        raise r
    return r


def emitir_documentos_lote(execucoes: list[Execucao], p: Portas, *, ambito: int = AMBITO_CONTRIBUICOES_EE,
                           timeout_seconds: float = 300.0, sleep=time.sleep) -> list[ResultadoDocumentos | Exception]:
    """``emitir_documentos`` for several employers at once (a lote): each employer's emission is requested once,
    under its own lease, exactly as alone; then every pending request is polled in **one** loop (each round polls
    all of them, then one wait), so n employers take about one emission's time instead of n.

    Returns, in the order of ``execucoes``, each employer's ``ResultadoDocumentos`` or the exception that stopped
    it (``NadaAFazer`` not confirmed / dry run, ``Repetivel`` lease held or still processing, a ``PsiError``...),
    to be reported per employer: one employer's failure never stops the others."""
    from contextlib import ExitStack

    from ciclo.app.concessao import concessao
    from ciclo.psi.documentos import TETO_S, PedidoEmissao, obter_documentos_varios

    saida: list[ResultadoDocumentos | Exception | None] = [None] * len(execucoes)
    abertos: dict[int, ExitStack] = {}  # each employer's lease and client, closed as soon as it is done
    seguir: list[tuple[int, Execucao, object, PedidoEmissao]] = []

    def fechar(i: int) -> None:
        pilha = abertos.pop(i, None)  # None: already closed (closing itself failed and is being reported)
        if pilha is not None:
            pilha.close()

    try:
        for i, ex in enumerate(execucoes):
            abertos[i] = pilha = ExitStack()
            try:
                pilha.enter_context(concessao(ex, p, f"documento-pagamento-{ambito}"))
                pronto = _antes_do_pedido(ex, p, ambito)
                if pronto is None:
                    client = pilha.enter_context(p.cliente(ex))
                    pronto = _ja_no_ss(ex, p, ambito, client)
                if pronto is not None:
                    saida[i] = pronto
                    fechar(i)
                    continue
                atual = p.ledger.documentos.pedido(ex.niss_ee, ex.mes, ambito)
                chave = atual.get("chave") if atual and atual["estado"] == "processando" else None
                seguir.append((i, ex, client, PedidoEmissao(client, chave, ex.niss_ee, ambito, _ao_pedir(ex, p, ambito))))
            except Exception as exc:  # noqa: BLE001 - not swallowed: this employer's outcome, returned
                saida[i] = exc
                fechar(i)
        piso = p.definicoes.emissao_poll_s  # CICLO_EMISSAO_POLL (0.5 s by default): the floor; the ceiling TETO_S
        resultados = obter_documentos_varios([pe for *_, pe in seguir], intervalo_min=piso,
                                             intervalo_max=max(piso, TETO_S), timeout=timeout_seconds, sleep=sleep)
        for (i, ex, client, _), r in zip(seguir, resultados):
            try:
                saida[i] = _depois(ex, p, ambito, client, r)
                fechar(i)
            except Exception as exc:  # noqa: BLE001 - not swallowed: this employer's outcome, returned
                saida[i] = exc
                fechar(i)
    finally:
        for i in list(abertos):  # only on an interruption (a task timeout): release every lease still held
            fechar(i)
    return saida  # type: ignore[return-value]


def _antes_do_pedido(ex: Execucao, p: Portas, ambito: int) -> ResultadoDocumentos | None:
    """What the ledger already settles (under the lease): not confirmed → NadaAFazer; issued or nothing to pay →
    that result. None: the SS must be asked or polled."""
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
    return None


def _ja_no_ss(ex: Execucao, p: Portas, ambito: int, client) -> ResultadoDocumentos | None:
    """Before any request: after an attempt that may have asked and lost the answer (PENDING), the SS is asked
    what it holds; otherwise PENDING is recorded before the POST (the evidence a retry reads)."""
    repo = p.ledger.documentos
    atual = repo.pedido(ex.niss_ee, ex.mes, ambito)
    if atual and atual["estado"] == "processando" and atual.get("chave"):
        return None  # a request is known: only poll it
    if atual and atual["estado"] == "PENDING":
        docs = _procurar_no_ss(client, ex, p)
        if docs:
            repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado="sucesso")
            log.info("%s: the SS already issued this month's documents (an earlier answer was lost)", ex.rotulo)
            return ResultadoDocumentos("sucesso", None, repo.gravar(ex.niss_ee, ex.mes, docs), ja_emitido=True)
        return None
    repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado="PENDING")  # before the POST: evidence for a retry
    return None


def _ao_pedir(ex: Execucao, p: Portas, ambito: int):
    def ao_pedir(nova: str, codigo: int) -> None:
        # 1 accepted, 10 already processing, 11 a valid answer exists — all name the chave to follow; stored before
        # polling, so that a retry resumes it instead of asking again.
        log.info("payment document request %s: codigoResultado %s", ex.rotulo, codigo)
        p.ledger.documentos.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=nova, codigo_resultado=codigo,
                                          estado="processando")

    return ao_pedir


def _depois(ex: Execucao, p: Portas, ambito: int, client, r) -> ResultadoDocumentos:
    """Store the outcome of one employer's emission (``r``: its ``ResultadoEmissao`` or the exception)."""
    from ciclo.psi.documentos import EmissaoEmProcessamento

    if isinstance(r, EmissaoEmProcessamento):
        raise Repetivel(f"{ex.rotulo}: {r}; a retry resumes polling it (no new request is made)") from None
    if isinstance(r, Exception):
        raise r
    repo = p.ledger.documentos
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
