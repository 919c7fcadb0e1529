"""Step 3: contract changes through SOAP ``alterarContratoTrabalho`` (by day 10 of M+1, Art. 8 DR 1-A/2011).

Which contracts: for each worker, the contract versions in the payroll that *start inside the reference month*
and are not the worker's first contract with the EE (a first contract is the vínculo's registration, another
service), plus any version that differs from the last one this pipeline communicated and starts after it.
Contracts in force before the month are taken as already known to the Segurança Social.

Exactly once: a PENDING ledger row is committed before each call. A version already ACKNOWLEDGED is never sent
again. Before a row left SENT/UNKNOWN by a crash or a lost answer is sent again, the Segurança Social is asked what
it holds (``getDadosContratos`` for those workers, ``obterComunicacoes`` for what it is still processing — issue
#11): a contract it already holds (same start, same fields) is ACKNOWLEDGED without sending; one it is still
processing is left for a later retry; only otherwise is the change sent again. (Should the query be wrong, the old
safety net stays: a resend refused because the start date is not after the last contract's start means the earlier
call had been applied.)

Changes go out with bounded concurrency (``CONCORRENCIA`` at a time, issue #15), each with its own ledger row, all
under the one lease of the employer's month; each call in flight has its own SOAP client, made on the calling thread.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from ciclo.app.contexto import Execucao
from ciclo.app.erros import ContratosRecusados, Repetivel
from ciclo.app.portas import Portas
from ciclo.domain.contrato import INICIO_NAO_POSTERIOR_ULTIMO
from ciclo.domain.contrato_trabalho import ContratoTrabalho

log = logging.getLogger(__name__)

CONCORRENCIA = 4  # contract changes in flight at once for one employer (small: one SOAP call each, a few seconds)


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
    from ciclo.app.folha import TIPOS_CONTRATOS, carregar_snapshot, snapshot_verificado

    from ciclo.app.concessao import concessao

    snap = snapshot_verificado(ex, p, content_hash)
    payroll = carregar_snapshot(ex, p, snap["content_hash"], tipos=TIPOS_CONTRATOS)
    pendentes = alteracoes_a_comunicar(payroll, ex, p)
    if ex.dry_run or not pendentes:
        return ResultadoContratos(len(pendentes), dry_run=ex.dry_run)
    with concessao(ex, p, "alterarContratoTrabalho"):
        # under the lease, the ledger is read again: another execution may have sent some meanwhile
        return _comunicar(ex, p, alteracoes_a_comunicar(payroll, ex, p))


def comunicar_alteracoes(ex: Execucao, p: Portas, alteracoes: list[ContratoTrabalho]) -> ResultadoContratos:
    """Send the given contract changes (e.g. the fix of a disagreement the operator approved,
    ``ciclo.app.contratos_ss``) exactly as ``comunicar_contratos`` sends the payroll's: under the month's lease, one
    ledger row each, audited, asking the SS before any resend; a version already ACKNOWLEDGED is not sent."""
    from ciclo.app.concessao import concessao

    if ex.dry_run or not alteracoes:
        return ResultadoContratos(len(alteracoes), dry_run=ex.dry_run)
    with concessao(ex, p, "alterarContratoTrabalho"):
        repo = p.ledger.contratos
        por_enviar = []
        for c in alteracoes:
            row = repo.por_hash(ex.niss_ee, c.niss_trabalhador, c.hash)
            if row is None or row["estado"] != "ACKNOWLEDGED":
                por_enviar.append(c)
        return _comunicar(ex, p, por_enviar)


def _comunicar(ex: Execucao, p: Portas, pendentes: list[ContratoTrabalho]) -> ResultadoContratos:
    from ciclo.psi.auth import exigir_credencial_propria

    repo = p.ledger.contratos
    ligacao = p.psi(ex.employer)
    # The SOAP contract service authenticates as the employer itself: a representative's credential is stopped
    # here, before any call, with a message naming the credential needed (not a "fix the payroll" refusal).
    exigir_credencial_propria(ligacao.credenciais, ex.niss_ee)
    retomas = []
    for c in pendentes:
        row = repo.por_hash(ex.niss_ee, c.niss_trabalhador, c.hash)
        if row is not None and row["estado"] in ("SENT", "UNKNOWN"):
            retomas.append(c)
    # Ask before any resend (#11): what the SS holds, and what it is still processing, for the resumed changes.
    no_ss = _estado_no_ss(ex, p, ligacao, retomas) if retomas else {}

    # The SOAP clients are made here, on the calling thread (under Airflow a connection lookup must not happen on a
    # worker thread), one per thread in flight; each change borrows one for its call.
    n = min(CONCORRENCIA, len(pendentes))
    livres: queue.SimpleQueue = queue.SimpleQueue()
    clientes = [ligacao.get_soap_client() for _ in range(n)]
    for s in clientes:
        livres.put(s)

    def uma(c: ContratoTrabalho) -> tuple[str, object]:
        soap = livres.get()
        try:
            return _uma(ex, p, soap, c, no_ss.get(c.hash))
        finally:
            livres.put(soap)

    try:
        if n <= 1:
            resultados = [_capturar(uma, c) for c in pendentes]
        else:
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="alterarContrato") as pool:
                resultados = list(pool.map(lambda c: _capturar(uma, c), pendentes))
    finally:
        for s in clientes:
            fechar = getattr(s, "close", None)
            if fechar is not None:
                fechar()
    enviados = [v for k, v in resultados if k == "enviado"]
    ja_aplicados = [v for k, v in resultados if k == "ja_aplicado"]
    recusados = [v for k, v in resultados if k == "recusado"]
    em_curso = [v for k, v in resultados if k == "em_curso"]
    falhas = [v for k, v in resultados if k == "falha"]
    log.info("contract changes %s: %d sent, %d already applied, %d refused, %d being processed at the SS, %d failed",
             ex.rotulo, len(enviados), len(ja_aplicados), len(recusados), len(em_curso), len(falhas))
    if falhas:
        raise falhas[0]  # the first unknown outcome / transport error: the task is retried, rows stay UNKNOWN
    if em_curso:
        raise Repetivel(f"{ex.rotulo}: {len(em_curso)} contract change(s) are still being processed by the Segurança "
                        f"Social ({', '.join(em_curso[:10])}); not sent again — retry later")
    if recusados:
        linhas = "; ".join(f"{r['niss_trabalhador']}: {r['mensagens']}" for r in recusados[:20])
        raise ContratosRecusados(f"{ex.rotulo}: {len(recusados)} contract change(s) refused by the Segurança Social "
                                 f"({linhas}). Fix them in the payroll and re-run; values were not sent.")
    return ResultadoContratos(len(pendentes), enviados, ja_aplicados, recusados)


def _capturar(fn, c):
    from ciclo.psi.errors import PsiError

    try:
        return fn(c)
    except PsiError as exc:
        return "falha", exc


def _uma(ex: Execucao, p: Portas, soap, c: ContratoTrabalho, no_ss: str | None) -> tuple[str, object]:
    """One change: ("enviado" | "ja_aplicado" | "recusado" | "em_curso", detail). Raises on an unknown outcome."""
    from ciclo.psi import soap as S

    repo = p.ledger.contratos
    niss_t, h = c.niss_trabalhador, c.hash
    row = repo.por_hash(ex.niss_ee, niss_t, h)
    retoma = row is not None and row["estado"] in ("SENT", "UNKNOWN")
    if retoma and no_ss == "DETIDO":
        repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1,
                       mensagens="já registado na Segurança Social (confirmado por getDadosContratos; não reenviado)")
        return "ja_aplicado", niss_t
    if retoma and no_ss == "A_PROCESSAR":
        return "em_curso", niss_t
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
            _auditar(p, ex, "ok", t0, None, niss_t)
            return "ja_aplicado", niss_t
        repo.atualizar(row["id"], estado="FAILED", codigo_resultado=codigo, mensagens="; ".join(msgs))
        _auditar(p, ex, "erro", t0, exc, niss_t)
        return "recusado", {"niss_trabalhador": niss_t, "codigo": codigo, "mensagens": "; ".join(msgs)}
    except S.PsiError as exc:
        # Transport error, SOAP codigo 0, 5xx: outcome unknown; the next attempt asks the SS before resending.
        repo.atualizar(row["id"], estado="UNKNOWN", mensagens=type(exc).__name__)
        _auditar(p, ex, "desconhecido", t0, exc, niss_t)
        raise
    repo.atualizar(row["id"], estado="ACKNOWLEDGED", codigo_resultado=1, mensagens=None)
    _auditar(p, ex, "ok", t0, None, niss_t)
    return "enviado", niss_t


# the fields compared to decide that the SS already holds a change (what the apuramento and the contract depend on)
CAMPOS_COMPARADOS = ("modalidade_contrato", "prestacao_trabalho", "inicio_contrato", "fim_contrato", "profissao",
                     "remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho",
                     "motivo_contrato")


def mesmo_valor(campo: str, a, b) -> bool:
    """Equal as the SS compares them: amounts numerically (no diuturnidades ≡ 0), dates by day, codes as text."""
    if campo in ("remuneracao_base", "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho"):
        def dec(v):
            if v is None or str(v).strip() == "":
                return Decimal(0) if campo == "diuturnidades" else None
            return Decimal(str(v))
        return dec(a) == dec(b)
    if campo in ("inicio_contrato", "fim_contrato"):
        return (_data(a) if a else None) == (_data(b) if b else None)
    na = None if a is None or str(a).strip() == "" else str(a).strip()
    nb = None if b is None or str(b).strip() == "" else str(b).strip()
    return na == nb


def _estado_no_ss(ex: Execucao, p: Portas, ligacao, retomas: list[ContratoTrabalho]) -> dict[str, str]:
    """For each resumed change (by hash): "DETIDO" when the SS holds that version (same start, same fields),
    "A_PROCESSAR" when a communication for that worker and start is still being processed there, absent otherwise.
    Query errors propagate: nothing is resent without an answer."""
    from ciclo.psi.soap_consulta import cliente_consulta

    niss = sorted({c.niss_trabalhador for c in retomas})
    inicio = min(c.inicio_contrato for c in retomas)
    fim = max(c.inicio_contrato for c in retomas)
    with cliente_consulta(ligacao) as q:
        t0 = time.monotonic()
        try:
            contratos = q.contratos(inicio, fim, niss)
        except Exception as exc:
            _auditar_consulta(p, ex, "getDadosContratos", t0, exc)
            raise
        _auditar_consulta(p, ex, "getDadosContratos", t0, None)
        t0 = time.monotonic()
        try:
            comunicacoes = q.obter_comunicacoes(niss)
        except Exception as exc:
            _auditar_consulta(p, ex, "obterComunicacoes", t0, exc)
            raise
        _auditar_consulta(p, ex, "obterComunicacoes", t0, None)
    out: dict[str, str] = {}
    for c in retomas:
        campos = c.campos()
        for k in contratos:
            if k.niss_trabalhador == c.niss_trabalhador and all(
                    mesmo_valor(f, campos.get(f), getattr(k, f)) for f in CAMPOS_COMPARADOS):
                out[c.hash] = "DETIDO"
                break
        else:
            if any(m.niss_trabalhador == c.niss_trabalhador and not m.rejeitada
                   and (m.inicio_contrato or "")[:10] == c.inicio_contrato.isoformat() for m in comunicacoes):
                out[c.hash] = "A_PROCESSAR"
    return out


def _auditar_consulta(p: Portas, ex: Execucao, servico: str, t0: float, exc: Exception | None) -> None:
    p.ledger.auditoria.registar(servico, "POST", "erro" if exc else "ok", int((time.monotonic() - t0) * 1000),
                                niss_ee=ex.niss_ee, ano_mes=ex.mes, erro_classe=type(exc).__name__ if exc else None,
                                status=getattr(exc, "status", None))


def _auditar(p: Portas, ex: Execucao, resultado: str, t0: float, exc: Exception | None, niss_t: str) -> None:
    p.ledger.auditoria.registar("alterarContratoTrabalho", "POST", resultado, int((time.monotonic() - t0) * 1000),
                                niss_ee=ex.niss_ee, ano_mes=ex.mes, erro_classe=type(exc).__name__ if exc else None,
                                status=getattr(exc, "status", None), referencia=niss_t)
