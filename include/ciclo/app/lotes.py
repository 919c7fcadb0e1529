"""Employers grouped into lotes: how many task instances a month costs grows with the work, not with the number
of employers — and no mapping can exceed Airflow's ``max_map_length``.

An employer whose payroll export weighs at least ``peso_max`` bytes runs in a lote of its own; smaller ones share a
lote up to that weight and ``max_por_lote`` employers. When that would still make more lotes than the ceiling, the
employers are spread over exactly ``max_lotes`` lotes (heaviest first, each into the lightest lote).

Inside a lote every step runs once per employer and keeps each employer's outcome apart (``correr_lote``): one
employer blocked by data quality, refused, or out of retries stops only itself; the others go on. The state of every
employer stays visible: the step's result per employer (XCom), the ledger, the run's summary and the portfolio
page, and each employer that stops is notified to the operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ciclo.app.contexto import Execucao
from ciclo.app.erros import classificar
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

OK, NADA, FALHOU = "ok", "nada", "falhou"
# which employers a step takes from the previous step's outcome
SO_OK = "ok"              # the cycle's chain: only those whose previous step succeeded
NAO_FALHADOS = "nao_falhados"   # payment documents: all but those that failed (the ledger says what is due)
TODOS = "todos"           # the report and the summary: every employer


@dataclass(frozen=True)
class Lote:
    numero: int
    execucoes: tuple[Execucao, ...]

    @property
    def rotulo(self) -> str:
        """How the UI names the mapped instance: the employer itself when alone, else "Lote 3 · 12 EE: A, B, …"."""
        if len(self.execucoes) == 1:
            return self.execucoes[0].employer.rotulo
        nomes = ", ".join(ex.employer.nome or ex.niss_ee for ex in self.execucoes[:3])
        mais = f", +{len(self.execucoes) - 3}" if len(self.execucoes) > 3 else ""
        return f"Lote {self.numero} · {len(self.execucoes)} EE: {nomes}{mais}"

    def para_xcom(self) -> dict:
        return {"numero": self.numero, "rotulo": self.rotulo, "execucoes": [ex.para_xcom() for ex in self.execucoes]}

    @classmethod
    def de_xcom(cls, d: dict) -> "Lote":
        return cls(int(d["numero"]), tuple(Execucao.de_xcom(e) for e in d["execucoes"]))


def pesos(execucoes: Iterable[Execucao], p: Portas) -> dict[str, int | None]:
    """Each employer's export size in bytes (None when the source cannot tell: the employer counts as small)."""
    tamanho = getattr(p.fonte, "tamanho", None)
    out: dict[str, int | None] = {}
    for ex in execucoes:
        out[ex.niss_ee] = tamanho(ex.employer.payroll_url(ex.mes)) if tamanho else None
    return out


def agrupar(execucoes: list[Execucao], pesos: dict[str, int | None], *, peso_max: int, max_por_lote: int,
            max_lotes: int) -> list[Lote]:
    """The run's lotes, in order: heavy employers alone (first: they take longest), then the small ones packed."""
    if max_lotes < 1 or max_por_lote < 1 or peso_max < 1:
        raise ValueError(f"lotes: max_lotes={max_lotes}, max_por_lote={max_por_lote}, peso_max={peso_max} must be ≥ 1")
    w = {ex.niss_ee: int(pesos.get(ex.niss_ee) or 0) for ex in execucoes}
    grandes = [[ex] for ex in execucoes if w[ex.niss_ee] >= peso_max]
    grupos: list[list[Execucao]] = list(grandes)
    atual: list[Execucao] = []
    soma = 0
    for ex in (ex for ex in execucoes if w[ex.niss_ee] < peso_max):
        if atual and (soma + w[ex.niss_ee] > peso_max or len(atual) >= max_por_lote):
            grupos.append(atual)
            atual, soma = [], 0
        atual.append(ex)
        soma += w[ex.niss_ee]
    if atual:
        grupos.append(atual)
    if len(grupos) > max_lotes:
        # the mapping ceiling: exactly max_lotes lotes, balanced by weight (heaviest first into the lightest lote)
        ordem = {ex.niss_ee: i for i, ex in enumerate(execucoes)}
        caixas: list[list[Execucao]] = [[] for _ in range(max_lotes)]
        carga = [0] * max_lotes
        for ex in sorted(execucoes, key=lambda e: (-w[e.niss_ee], ordem[e.niss_ee])):
            i = min(range(max_lotes), key=lambda k: (carga[k], len(caixas[k])))
            caixas[i].append(ex)
            carga[i] += max(w[ex.niss_ee], 1)
        grupos = [sorted(c, key=lambda e: ordem[e.niss_ee]) for c in caixas if c]
    return [Lote(i + 1, tuple(g)) for i, g in enumerate(grupos)]


@dataclass
class ResultadoLote:
    """One step over a lote: each employer's outcome (``ok`` with its result, ``nada``, ``falhou`` with why)."""

    lote: Lote
    passo: str
    estados: dict[str, dict] = field(default_factory=dict)
    repetiveis: dict[str, BaseException] = field(default_factory=dict)   # to retry (not serialised)

    @property
    def incluidos(self) -> list[str]:
        return [k for k, v in self.estados.items() if v.get("passo") == self.passo] + list(self.repetiveis)

    def falhados(self) -> list[str]:
        return [k for k, v in self.estados.items() if v["estado"] == FALHOU and v.get("passo") == self.passo]

    def todos_falharam(self) -> bool:
        inc = self.incluidos
        return bool(inc) and not self.repetiveis and len(self.falhados()) == len(inc)

    def nenhum_ok(self) -> bool:
        return not self.repetiveis and not any(v["estado"] == OK for v in self.estados.values())

    def para_xcom(self) -> dict:
        return {"lote": self.lote.para_xcom(), "passo": self.passo, "estados": self.estados}


def estados_de(anterior: dict | None) -> dict[str, dict] | None:
    return None if not anterior else dict(anterior.get("estados") or {})


def _incluir(ant: dict | None, regra: str) -> bool:
    if regra == TODOS or ant is None:
        return True
    if regra == NAO_FALHADOS:
        return ant["estado"] != FALHOU
    return ant["estado"] == OK


def correr_lote(passo: Callable[..., Any], nome: str, lote: Lote, p: Portas, anterior: dict | None = None, *,
                regra: str = SO_OK, ultima_tentativa: bool = True,
                argumentos: Callable[[Execucao, dict | None], tuple] | None = None,
                conjunto: bool = False, paralelo: int = 1) -> ResultadoLote:
    """Run ``passo(ex, p, *argumentos(ex, anterior_do_ee))`` for each employer the rule takes — or, with
    ``conjunto``, ``passo(execucoes, p)`` once for all of them, returning one result or exception per employer (a
    step that works for the lote as a whole, e.g. polling every emission together).

    An employer's ``NadaAFazer`` → ``nada``; an error no retry can fix → ``falhou`` (logged, notified); an error a
    retry may fix → kept in ``repetiveis`` so that the task is retried — on the last try it becomes ``falhou``,
    so one employer's storm never holds the rest of its lote. Employers the rule leaves out carry their state on.

    ``paralelo`` > 1: up to that many employers at once, each in its own thread (for steps that mostly wait on the
    SS: the waits overlap). Each employer's step uses only its own clients; the ledger is opened before the threads
    start and is shared (SQLAlchemy's pool; SQLite waits for its write lock). Outcomes are classified, logged and
    notified afterwards, in the lote's order, exactly as one at a time.
    """
    antes = estados_de(anterior)
    r = ResultadoLote(lote, nome)
    tomados: list[tuple[Execucao, dict | None]] = []
    for ex in lote.execucoes:
        ant = None if antes is None else antes.get(ex.niss_ee)
        if antes is not None and ant is None and regra != TODOS:
            ant = {"estado": FALHOU, "mensagem": "no outcome from the previous step", "passo": "?"}
        if not _incluir(ant, regra):
            r.estados[ex.niss_ee] = {k: ant[k] for k in ("estado", "mensagem", "passo") if k in ant}
            continue
        tomados.append((ex, ant))
    if not conjunto:
        for ex, saida in zip((ex for ex, _ in tomados), _um_a_um(passo, p, tomados, argumentos, paralelo)):
            if isinstance(saida, Exception):
                _registar_erro(r, p, ex, nome, saida, ultima_tentativa)
            else:
                r.estados[ex.niss_ee] = {"estado": OK, "passo": nome, "resultado": _xcom(saida)}
        return r
    execucoes = [ex for ex, _ in tomados]
    if execucoes:
        saidas = passo(execucoes, p)
        if len(saidas) != len(execucoes):
            raise RuntimeError(f"{nome}: {len(saidas)} outcomes for {len(execucoes)} employers")
        for ex, res in zip(execucoes, saidas):
            if isinstance(res, Exception):
                _registar_erro(r, p, ex, nome, res, ultima_tentativa)
            else:
                r.estados[ex.niss_ee] = {"estado": OK, "passo": nome, "resultado": _xcom(res)}
    return r


def _um_a_um(passo, p: Portas, tomados: list[tuple[Execucao, dict | None]], argumentos, paralelo: int) -> list:
    """Each employer's result or exception, in order; ``paralelo`` > 1 runs them in threads."""
    def um(ex: Execucao, ant: dict | None):
        try:
            return passo(ex, p, *(argumentos(ex, ant) if argumentos else ()))
        except Exception as exc:  # noqa: BLE001 - classified per employer by the caller (state + log + notice)
            return exc

    if paralelo <= 1 or len(tomados) <= 1:
        return [um(ex, ant) for ex, ant in tomados]
    from concurrent.futures import ThreadPoolExecutor

    p.ledger  # opened here, once, not raced for by the threads
    with ThreadPoolExecutor(max_workers=min(paralelo, len(tomados)), thread_name_prefix="lote") as pool:
        return list(pool.map(lambda t: um(*t), tomados))


def _registar_erro(r: ResultadoLote, p: Portas, ex: Execucao, nome: str, exc: BaseException, ultima: bool) -> None:
    tipo = classificar(exc)
    if tipo == "nada":
        log.info("%s: %s: %s", ex.rotulo, nome, exc)
        r.estados[ex.niss_ee] = {"estado": NADA, "mensagem": str(exc), "passo": nome}
    elif tipo == "definitivo" or ultima:
        msg = str(exc) if tipo == "definitivo" else f"{type(exc).__name__}: {exc} (no retry left)"
        log.error("%s: %s failed: %s", ex.rotulo, nome, msg)
        r.estados[ex.niss_ee] = {"estado": FALHOU, "mensagem": msg, "passo": nome}
        _notificar(p, ex, nome, msg)
    else:
        log.warning("%s: %s will be retried: %s: %s", ex.rotulo, nome, type(exc).__name__, exc)
        r.repetiveis[ex.niss_ee] = exc


def _notificar(p: Portas, ex: Execucao, passo: str, msg: str) -> None:
    if not p.notificador:
        return
    from datetime import datetime, timezone

    registo = {"ts": datetime.now(timezone.utc).isoformat(), "tipo": "falha", "task_id": passo,
               "niss_ee": ex.niss_ee, "nome": ex.employer.nome, "ano_mes": ex.mes, "erro": msg}
    p.notificador.notificar(registo, f"Ciclo contributivo: {ex.employer.rotulo} parou em {passo}")


def _xcom(x):
    if isinstance(x, list):
        return [_xcom(i) for i in x]
    if hasattr(x, "para_xcom"):
        return x.para_xcom()
    return x.as_dict() if hasattr(x, "as_dict") else x
