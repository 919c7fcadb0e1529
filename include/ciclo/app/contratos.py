"""Step 3: contract changes through SOAP ``alterarContratoTrabalho`` (by day 10 of M+1, Art. 8 DR 1-A/2011).

Which contracts: for each worker, the contract versions in the payroll that *start inside the reference month*
and are not the worker's first contract with the EE (a first contract is the vínculo's registration, another
service), plus any version that differs from the last one this pipeline communicated and starts after it.
Contracts in force before the month are taken as already known to the Segurança Social.

Exactly once: a PENDING ledger row is committed before each call. A version already ACKNOWLEDGED is never sent
again. A row left SENT/UNKNOWN by a crash is sent again; if the Segurança Social then answers that the start
date must be after the last contract's start, the earlier call had been applied and the row is ACKNOWLEDGED.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ciclo.app.contexto import Execucao
from ciclo.app.erros import ContratosRecusados
from ciclo.app.portas import Portas
from ciclo.domain.contrato import INICIO_NAO_POSTERIOR_ULTIMO
from ciclo.domain.contrato_trabalho import ContratoTrabalho

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultadoContratos:
    a_comunicar: int
    enviados: list[str] = field(default_factory=list)
    ja_aplicados: list[str] = field(default_factory=list)
    recusados: list[dict] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"a_comunicar": self.a_comunicar, "enviados": len(self.enviados), "ja_aplicados": len(self.ja_aplicados),
                "recusados": len(self.recusados), "dry_run": self.dry_run}


def alteracoes_a_comunicar(payroll, ex: Execucao, p: Portas) -> list[ContratoTrabalho]:
    df = payroll.contratos
    if df is None or len(df) == 0:
        return []
    por_trab: dict[str, list[ContratoTrabalho]] = {}
    for row in df.to_dict("records"):
        c = ContratoTrabalho.de_campos(row)
        if c.niss_trabalhador and c.inicio_contrato:
            por_trab.setdefault(c.niss_trabalhador, []).append(c)
    comunicados = p.ledger.contratos.comunicados(ex.niss_ee)
    out = []
    for niss_t, versoes in sorted(por_trab.items()):
        versoes.sort(key=lambda c: c.inicio_contrato)
        ultimo = comunicados.get(niss_t)
        for i, c in enumerate(versoes):
            if ultimo and ultimo["campos_hash"] == c.hash:
                continue
            no_mes = ex.ano_mes.contem(c.inicio_contrato) and i > 0
            depois_do_ultimo = ultimo is not None and c.inicio_contrato > _data(ultimo["inicio_contrato"])
            if no_mes or depois_do_ultimo:
                existente = p.ledger.contratos.por_hash(ex.niss_ee, niss_t, c.hash)
                if existente and existente["estado"] == "ACKNOWLEDGED":
                    continue
                out.append(c)
    return out


def _data(v):
    from datetime import date

    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def comunicar_contratos(ex: Execucao, p: Portas, content_hash: str | None = None) -> ResultadoContratos:
    """Send each pending contract change of the verified payroll once. Refusals stop this employer (values are
    not sent with contracts the SS does not hold)."""
    from ciclo.app.folha import carregar_snapshot, snapshot_verificado

    from ciclo.app.concessao import concessao

    snap = snapshot_verificado(ex, p, content_hash)
    payroll = carregar_snapshot(ex, p, snap["content_hash"])
    pendentes = alteracoes_a_comunicar(payroll, ex, p)
    if ex.dry_run or not pendentes:
        return ResultadoContratos(len(pendentes), dry_run=ex.dry_run)
    with concessao(ex, p, "alterarContratoTrabalho"):
        # under the lease, the ledger is read again: another execution may have sent some meanwhile
        return _comunicar(ex, p, alteracoes_a_comunicar(payroll, ex, p))


def _comunicar(ex: Execucao, p: Portas, pendentes: list[ContratoTrabalho]) -> ResultadoContratos:
    from ciclo.psi import soap as S

    from ciclo.psi.auth import exigir_credencial_propria

    repo = p.ledger.contratos
    ligacao = p.psi(ex.employer)
    # The SOAP contract service authenticates as the employer itself: a representative's credential is stopped
    # here, before any call, with a message naming the credential needed (not a "fix the payroll" refusal).
    exigir_credencial_propria(ligacao.credenciais, ex.niss_ee)
    soap = ligacao.get_soap_client()
    enviados, ja_aplicados, recusados = [], [], []
    for c in pendentes:
        niss_t, h = c.niss_trabalhador, c.hash
        row = repo.por_hash(ex.niss_ee, niss_t, h)
        retoma = row is not None and row["estado"] in ("SENT", "UNKNOWN")
        if row is None:
            row = repo.inserir(ex.niss_ee, niss_t, ex.mes, c.inicio_contrato, h, c.campos())
        repo.atualizar(row["id"], estado="SENT")
        t0 = time.monotonic()
        try:
            soap.alterar_contrato(c)
        except (S.ContratoInvalido, S.ContratoParametroEmFalta) as exc:
            codigo = 3 if isinstance(exc, S.ContratoInvalido) else 2
            msgs = list(getattr(exc, "mensagens", []) or [str(exc)])
            if codigo == 3 and retoma and any(INICIO_NAO_POSTERIOR_ULTIMO in m for m in msgs):
                repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                               mensagens="aplicado numa tentativa anterior (confirmado pela validação do SS)")
                ja_aplicados.append(niss_t)
                _auditar(p, ex, "ok", t0, None, niss_t)
                continue
            repo.atualizar(row["id"], estado="FAILED", codigo_resultado=codigo, mensagens="; ".join(msgs))
            recusados.append({"niss_trabalhador": niss_t, "codigo": codigo, "mensagens": "; ".join(msgs)})
            _auditar(p, ex, "erro", t0, exc, niss_t)
            continue
        except S.PsiError as exc:
            # Transport error, SOAP codigo 0, 5xx: outcome unknown; the next attempt resends and interprets.
            repo.atualizar(row["id"], estado="UNKNOWN", mensagens=type(exc).__name__)
            _auditar(p, ex, "desconhecido", t0, exc, niss_t)
            raise
        repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1, mensagens=None)
        _auditar(p, ex, "ok", t0, None, niss_t)
        enviados.append(niss_t)
    log.info("contract changes %s: %d sent, %d already applied, %d refused", ex.rotulo, len(enviados),
             len(ja_aplicados), len(recusados))
    if recusados:
        linhas = "; ".join(f"{r['niss_trabalhador']}: {r['mensagens']}" for r in recusados[:20])
        raise ContratosRecusados(f"{ex.rotulo}: {len(recusados)} contract change(s) refused by the Segurança Social "
                                 f"({linhas}). Fix them in the payroll and re-run; values were not sent.")
    return ResultadoContratos(len(pendentes), enviados, ja_aplicados, recusados)


def _auditar(p: Portas, ex: Execucao, resultado: str, t0: float, exc: Exception | None, niss_t: str) -> None:
    p.ledger.auditoria.registar("alterarContratoTrabalho", "POST", resultado, int((time.monotonic() - t0) * 1000),
                                niss_ee=ex.niss_ee, ano_mes=ex.mes, erro_classe=type(exc).__name__ if exc else None,
                                status=getattr(exc, "status", None), referencia=niss_t)
