"""The Segurança Social's own contract data, checked against the payroll before the values are sent (issue #14,
item 3) — the ``CONTRATO`` provider of the review (``ciclo.app.revisao``).

Why: the SS derives the permanent remuneration of a monthly worker from the contract it holds (base salary +
diuturnidades, pro rata of the days — Art. 16 DR 1-A/2011; the sandbox's ``engine`` does the same). A contract at the
SS that disagrees with the payroll (a change never communicated, a typo at admission) makes the apuramento differ
from the payroll; found here, before sending, the operator can fix it with a contract change and the apuramento
matches the first time.

How:

1. the payroll snapshot that passed quality (``folha.snapshot_verificado`` / ``carregar_snapshot``) gives, per
   worker, the contract versions in force during the month;
2. the SS is asked for its contracts of those workers in the month (``pesquisaContratos`` → ``getDadosContratos``
   with the ``chave``) and for the communications it is still processing or did not accept (``obterComunicacoes``);
3. for each payroll version in force in the month — except the versions ``comunicar_contratos`` is about to send
   anyway (they start inside the month) — the SS's version in force on the same day is compared field by field:
   base salary, diuturnidades, modality, percentage, hours and days (``CAMPOS_VERIFICADOS``);
4. each worker that disagrees becomes one ``Proposta`` (tipo ``CONTRATO``) whose ``descricao`` says what the SS
   holds vs the payroll and the contract change that fixes it: the payroll's version, starting on the first day it
   must hold in this month (or the day after the SS's last contract start, which ``alterarContratoTrabalho``
   requires — said in the text when that is later);
5. the check is recorded in the ledger (``contrato_verificacao``), every query audited (``chamada_externa``).

``aplicar`` sends that change through ``contratos.comunicar_alteracoes`` — the one ``alterarContratoTrabalho`` path
(lease, ledger row, audit, ask before any resend): exactly once.

Pending / not accepted communications are not proposals (there is nothing to apply): ``comunicacoes_pendentes``
returns them for the operator's screen and report; they are in ``ResultadoVerificacao.comunicacoes`` too.

A worker with no contract at the SS on the day is not this provider's finding (an admission: ``ciclo.app.vinculos``);
it is counted in ``sem_contrato_ss``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from ciclo.app.contexto import Execucao
from ciclo.app.portas import Portas
from ciclo.app.revisao import Proposta
from ciclo.domain.contrato_trabalho import ContratoTrabalho

log = logging.getLogger(__name__)

TIPO = "CONTRATO"
# compared with the payroll, in this order (issue #14: base salary, diuturnidades, modality, percentage, hours, days)
CAMPOS_VERIFICADOS = ("remuneracao_base", "diuturnidades", "modalidade_contrato", "percentagem_trabalho",
                      "horas_trabalho", "dias_trabalho")
ROTULOS = {"remuneracao_base": "remuneração base", "diuturnidades": "diuturnidades",
           "modalidade_contrato": "modalidade", "percentagem_trabalho": "percentagem de trabalho",
           "horas_trabalho": "horas de trabalho semanais", "dias_trabalho": "dias de trabalho"}
LOTE_TRABALHADORES = 150  # workers per search: the answer stays well under the 500 contracts sent inline
CONCORRENCIA_CONSULTAS = 4  # lotes asked at once for one employer (as contract changes: contratos.CONCORRENCIA)


@dataclass(frozen=True)
class ResultadoVerificacao:
    n_trabalhadores: int
    propostas: list[Proposta] = field(default_factory=list)
    divergencias: list[dict] = field(default_factory=list)   # [{niss_trabalhador, dia, diferencas: [...]}]
    comunicacoes: list[dict] = field(default_factory=list)   # pending (a processar) / not accepted (não aceite)
    sem_contrato_ss: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"n_trabalhadores": self.n_trabalhadores, "divergencias": len(self.divergencias),
                "comunicacoes": len(self.comunicacoes), "sem_contrato_ss": len(self.sem_contrato_ss)}


# ------------------------------------------------------------------------------------------------ the payroll side
def _versoes_no_mes(payroll, ex: Execucao) -> dict[str, list[tuple[date, ContratoTrabalho]]]:
    """Per worker, each payroll contract version in force during the month, with the first day it holds there."""
    m0, m1 = ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia
    df = payroll.contratos
    por_trab: dict[str, list[ContratoTrabalho]] = {}
    if df is not None and len(df):
        for row in df.to_dict("records"):
            c = ContratoTrabalho.de_campos(row)
            if c.niss_trabalhador and c.inicio_contrato:
                por_trab.setdefault(c.niss_trabalhador, []).append(c)
    out: dict[str, list[tuple[date, ContratoTrabalho]]] = {}
    for niss_t, versoes in sorted(por_trab.items()):
        versoes.sort(key=lambda c: c.inicio_contrato)
        for i, c in enumerate(versoes):
            fim = c.fim_contrato
            if i + 1 < len(versoes):
                prox = versoes[i + 1].inicio_contrato - timedelta(days=1)
                fim = prox if fim is None else min(fim, prox)
            if c.inicio_contrato > m1 or (fim is not None and fim < m0):
                continue
            out.setdefault(niss_t, []).append((max(c.inicio_contrato, m0), c))
    return out


# ------------------------------------------------------------------------------------------------ the check
def _valor(v) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, date) else str(v)


def _txt(campo: str, v) -> str:
    if v is None or str(v).strip() == "":
        return "0.00 €" if campo == "diuturnidades" else "(vazio)"
    if campo in ("remuneracao_base", "diuturnidades"):
        return f"{v} €"
    return str(v)


def _consultar(ex: Execucao, p: Portas, servico: str, fn):
    t0 = time.monotonic()
    try:
        r = fn()
    except Exception as exc:  # audited, then raised: a query that failed is never taken as "nothing there"
        p.ledger.auditoria.registar(servico, "POST", "erro", int((time.monotonic() - t0) * 1000),
                                    niss_ee=ex.niss_ee, ano_mes=ex.mes, erro_classe=type(exc).__name__,
                                    status=getattr(exc, "status", None))
        raise
    p.ledger.auditoria.registar(servico, "POST", "ok", int((time.monotonic() - t0) * 1000), niss_ee=ex.niss_ee,
                                ano_mes=ex.mes)
    return r


def _consultar_lotes(ex: Execucao, p: Portas, lotes: list[list[str]], m0: date,
                     m1: date) -> Iterator[tuple[list[str], list, list]]:
    """(the lote, the SS's contracts, its pending communications) of each lote of workers, yielded in the lotes'
    order as they arrive (the caller compares a lote and lets it go: a 50,000-worker month's SS contracts are never
    all held at once), with up to ``CONCORRENCIA_CONSULTAS`` lotes asked at once (a 50,000-worker month is ≈ 330
    lotes: one after the other they took a minute on the sandbox at 20 ms). A query that fails raises, as one after
    the other would: a failed query is never taken as "nothing there"."""
    import contextlib
    import queue
    from concurrent.futures import ThreadPoolExecutor

    from ciclo.psi.soap_consulta import cliente_consulta

    if not lotes:   # no worker to ask about: no connection looked up
        return
    n = min(CONCORRENCIA_CONSULTAS, len(lotes))
    with contextlib.ExitStack() as pilha:
        # the clients are made here, on the calling thread (under Airflow a connection lookup must not happen on a
        # worker thread), one per query in flight; each lote borrows one for its two calls
        ligacao = p.psi(ex.employer)
        livres: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(n):
            livres.put(pilha.enter_context(cliente_consulta(ligacao)))

        def um(lote: list[str]) -> tuple[list[str], list, list]:
            q = livres.get()
            try:
                return (lote, _consultar(ex, p, "getDadosContratos", lambda: q.contratos(m0, m1, lote)),
                        _consultar(ex, p, "obterComunicacoes", lambda: q.obter_comunicacoes(lote)))
            finally:
                livres.put(q)

        if n <= 1:
            yield from map(um, lotes)
            return
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="consultaContratos") as pool:
            yield from pool.map(um, lotes)


def verificar(ex: Execucao, p: Portas, content_hash: str | None = None) -> ResultadoVerificacao:
    """Ask the SS for its contract data and pending communications for the payroll's workers of the month, compare,
    record the check in the ledger and return the proposals (one per disagreeing worker)."""
    from ciclo.app.contratos import alteracoes_a_comunicar
    from ciclo.app.folha import TIPOS_CONTRATOS, carregar_snapshot, snapshot_verificado

    snap = snapshot_verificado(ex, p, content_hash)
    payroll = carregar_snapshot(ex, p, snap["content_hash"], tipos=TIPOS_CONTRATOS)
    versoes = _versoes_no_mes(payroll, ex)
    a_enviar = {c.hash for c in alteracoes_a_comunicar(payroll, ex, p)}  # comunicar_contratos sends these anyway
    niss = sorted(versoes)
    m0, m1 = ex.ano_mes.primeiro_dia, ex.ano_mes.ultimo_dia
    comunicacoes = []
    propostas, divergencias, sem_contrato = [], [], []
    lotes = [niss[i:i + LOTE_TRABALHADORES] for i in range(0, len(niss), LOTE_TRABALHADORES)]
    for lote, deles, pendentes in _consultar_lotes(ex, p, lotes, m0, m1):
        ss: dict[str, list] = {}   # this lote's workers' contracts at the SS (each worker is in one lote)
        for k in deles:
            ss.setdefault(k.niss_trabalhador, []).append(k)
        comunicacoes += pendentes
        _comparar(ex, lote, versoes, ss, a_enviar, snap["content_hash"], propostas, divergencias, sem_contrato)
    comunicacoes_d = [{"niss_trabalhador": m.niss_trabalhador, "tipo": m.tipo, "estado": m.descricao_tipo,
                       "data_comunicacao": m.data_comunicacao, "inicio_contrato": m.inicio_contrato,
                       "motivo": m.motivo} for m in comunicacoes]
    p.ledger.verificacoes_contratos.registar(ex.niss_ee, ex.mes, snap["content_hash"], n_trabalhadores=len(niss),
                                             divergencias=divergencias, comunicacoes=comunicacoes_d)
    log.info("contract data at the SS %s: %d worker(s) compared, %d disagree, %d communication(s) pending or not "
             "accepted", ex.rotulo, len(niss), len(divergencias), len(comunicacoes_d))
    return ResultadoVerificacao(len(niss), propostas, divergencias, comunicacoes_d, sorted(set(sem_contrato)))


def _comparar(ex: Execucao, niss: list[str], versoes: dict, ss: dict[str, list], a_enviar: set, content_hash: str,
              propostas: list, divergencias: list, sem_contrato: list) -> None:
    """Compare these workers' payroll versions with their contracts at the SS; append what disagrees."""
    from ciclo.app.contratos import mesmo_valor

    for niss_t in niss:
        achados = []
        for dia, c in versoes[niss_t]:
            if c.hash in a_enviar:
                continue
            em_vigor = [k for k in ss.get(niss_t, []) if k.em_vigor(dia)]
            if not em_vigor:
                sem_contrato.append(niss_t)
                continue
            k = max(em_vigor, key=lambda k: k.inicio_contrato or date.min)
            diffs = [{"campo": f, "ss": _valor(getattr(k, f)), "folha": _valor(getattr(c, f))}
                     for f in CAMPOS_VERIFICADOS if not mesmo_valor(f, getattr(c, f), getattr(k, f))]
            if diffs:
                ultimo_ss = max((x.inicio_contrato for x in ss[niss_t] if x.inicio_contrato), default=None)
                achados.append((dia, c, diffs, ultimo_ss))
        if not achados:
            continue
        # one proposal per worker: the first day that disagrees, with the payroll's version of that day
        dia, c, diffs, ultimo_ss = achados[0]
        inicio = dia if ultimo_ss is None or ultimo_ss < dia else ultimo_ss + timedelta(days=1)
        alteracao = dataclasses.replace(c, inicio_contrato=inicio)
        divergencias.append({"niss_trabalhador": niss_t, "dia": dia.isoformat(), "diferencas": diffs})
        propostas.append(_proposta(ex, niss_t, dia, alteracao, diffs, content_hash))


def _proposta(ex: Execucao, niss_t: str, dia: date, alteracao: ContratoTrabalho, diffs: list[dict],
              content_hash: str) -> Proposta:
    linhas = "; ".join(f"{ROTULOS[d['campo']]}: a Segurança Social tem {_txt(d['campo'], d['ss'])}, a folha "
                       f"{_txt(d['campo'], d['folha'])}" for d in diffs)
    a = alteracao
    campos = [f"modalidade {a.modalidade_contrato}", f"remuneração base {_txt('remuneracao_base', a.remuneracao_base)}"]
    if a.diuturnidades:
        campos.append(f"diuturnidades {_txt('diuturnidades', a.diuturnidades)}")
    for f in ("percentagem_trabalho", "horas_trabalho", "dias_trabalho"):
        if getattr(a, f) is not None:
            campos.append(f"{ROTULOS[f]} {getattr(a, f)}")
    if a.fim_contrato:
        campos.append(f"fim {a.fim_contrato.isoformat()}")
    parcial = ("" if a.inicio_contrato == dia else
               f" (a Segurança Social só aceita um início posterior ao do último contrato que detém: de {dia.isoformat()} "
               f"a {(a.inicio_contrato - timedelta(days=1)).isoformat()} o apuramento continua a usar os dados atuais)")
    descricao = (f"Trabalhador {niss_t}, contrato em vigor a {dia.isoformat()}: {linhas}. "
                 f"Correção proposta: alteração de contrato (alterarContratoTrabalho) com início em "
                 f"{a.inicio_contrato.isoformat()}, {', '.join(campos)}{parcial}.")
    return Proposta(
        tipo=TIPO, chave=f"{TIPO}:{niss_t}", descricao=descricao,
        dados={"niss_trabalhador": niss_t, "dia": dia.isoformat(), "content_hash": content_hash,
               "alteracao": {k: _valor(v) for k, v in a.campos().items()}, "diferencas": diffs},
        bloqueia_envio=False)


# ------------------------------------------------------------------------------------------------ provider interface
def propostas(ex: Execucao, p: Portas) -> list[Proposta]:
    """One ``CONTRATO`` proposal per worker whose contract at the SS disagrees with the payroll (asks the SS)."""
    return verificar(ex, p).propostas


def aplicar(ex: Execucao, p: Portas, proposta: Proposta, *, aprovado_por: str | None = None) -> dict:
    """Send the approved proposal's contract change once (``contratos.comunicar_alteracoes``)."""
    from ciclo.app.contratos import comunicar_alteracoes
    from ciclo.app.erros import Definitivo

    if proposta.tipo != TIPO:
        raise ValueError(f"{ex.rotulo}: {proposta.chave} is a {proposta.tipo} proposal, not {TIPO}")
    campos = (proposta.dados or {}).get("alteracao")
    if not isinstance(campos, dict) or not campos.get("niss_trabalhador") or not campos.get("inicio_contrato"):
        raise Definitivo(f"{ex.rotulo}: proposal {proposta.chave} carries no contract change to send")
    alteracao = ContratoTrabalho.de_campos(campos)
    r = comunicar_alteracoes(ex, p, [alteracao])
    log.info("contract fix %s %s (approved by %s): %s", ex.rotulo, proposta.chave, aprovado_por or "—", r.as_dict())
    return {"chave": proposta.chave, "niss_trabalhador": alteracao.niss_trabalhador,
            "inicio_contrato": alteracao.inicio_contrato.isoformat(), **r.as_dict()}


def comunicacoes_pendentes(ex: Execucao, p: Portas) -> list[dict]:
    """The communications the SS is still processing ("a processar") or did not accept ("não aceite") for the
    payroll's workers: those of the latest check of this snapshot in the ledger, or a new check when there is none."""
    from ciclo.app.folha import snapshot_verificado

    snap = snapshot_verificado(ex, p)
    ultima = p.ledger.verificacoes_contratos.ultima(ex.niss_ee, ex.mes)
    if ultima is not None and ultima["content_hash"] == snap["content_hash"]:
        return list(ultima["comunicacoes"])
    return verificar(ex, p, snap["content_hash"]).comunicacoes
