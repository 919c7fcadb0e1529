"""Step 9: the payment documents (``ambito`` 11: contribuições da entidade empregadora), requested once.

The emission request is recorded PENDING before the POST. Answers 10 (a request is already processing) and 11 (a
valid document already exists) carry the existing ``chave``, so a repeated request never issues a second
document; the chave is then polled until ``sucesso`` / ``sem_valores`` / ``expirado`` and the documents stored.
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
    with p.psi(ex.employer).get_client() as client:
        if not chave:
            repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado="PENDING")
            t0 = time.monotonic()
            resp = client.pedido_emissao_documentos(ex.niss_ee, ex.mes, ambito=ambito)
            codigo = int(resp.codigoResultado)
            chave = str(resp.chave)
            # 1 accepted, 10 already processing, 11 a valid document already exists — all name the chave to follow.
            log.info("payment document request %s: codigoResultado %s", ex.rotulo, codigo)
            repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=chave, codigo_resultado=codigo, estado="processando")
            p.ledger.auditoria.registar("documento-pagamento/pedido-emissao", "POST", "ok",
                                        int((time.monotonic() - t0) * 1000), niss_ee=ex.niss_ee, ano_mes=ex.mes,
                                        referencia=chave)
        fim = time.monotonic() + timeout_seconds
        while True:
            estado = _estado(client.consultar_pedido_emissao(chave))
            if estado != "processando":
                break
            if time.monotonic() >= fim:
                raise Repetivel(f"{ex.rotulo}: payment document request {chave} still processing after "
                                f"{timeout_seconds:.0f} s; a retry resumes polling it (no new request is made)")
            sleep(p.definicoes.emissao_poll_s)
        repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, estado=estado)
        if estado == "expirado":
            # An expired request may be renewed: the next attempt issues a new one.
            repo.gravar_pedido(ex.niss_ee, ex.mes, ambito, chave=None, estado="expirado")
            raise Repetivel(f"{ex.rotulo}: payment document request {chave} expired; a retry requests again")
        if estado == "sem_valores":
            return ResultadoDocumentos(estado, chave, [])
        docs = [d.model_dump(by_alias=True, mode="python") if hasattr(d, "model_dump") else d
                for d in client.consultar_documentos(chave=chave)]
    rows = repo.gravar(ex.niss_ee, ex.mes, docs)
    return ResultadoDocumentos(estado, chave, rows)


def _estado(resposta) -> str:
    e = resposta.estado
    return str(getattr(e, "value", e)).lower()
