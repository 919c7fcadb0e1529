"""Step 6: the valores apurados per worker, fetched into the ledger.

One task per employer: the bulk async client fetches with a bounded concurrency (the employer's connection's
budget, whatever else runs), and a batching writer thread commits the documents (one transaction per few hundred,
never on the event loop). A re-run fetches only the workers not yet in the ledger.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from dataclasses import asdict, dataclass

from ciclo.app.contexto import Execucao
from ciclo.app.erros import NadaAFazer, Repetivel
from ciclo.app.portas import Portas

log = logging.getLogger(__name__)

# the first line a share process writes on stdout once it has imported what it needs (its result is the last)
PRONTO = b"pronto"
# a share of a fetch opens at most one connection per this many workers (see ``_obter``)
PEDIDOS_POR_LIGACAO = 4


@dataclass(frozen=True)
class ResultadoObtencao:
    niss_ee: str
    obtidos: int

    def as_dict(self) -> dict:
        return asdict(self)


def obter_todos(ex: Execucao, p: Portas) -> ResultadoObtencao:
    """Record the month's apuramento, then fetch every worker not yet in the ledger in one bulk pass (bounded
    concurrency per employer); fetched documents are kept even when others fail (a retry fetches only the rest)."""
    ligacao = p.psi(ex.employer)
    ja = p.ledger.apurados.obtidos(ex.niss_ee, ex.mes)
    # a large employer's share processes start now, while the SS is asked for the month and its list of workers:
    # one takes ~0.8 s to import what it needs, and started after the list the fetch's first second ran with the
    # task's share alone. How many: from the workers the payroll declared and the ledger does not hold yet.
    previstos = max(0, p.ledger.reconciliacoes.n_internos(ex.niss_ee, ex.mes) - len(ja))
    filhos: list = []
    try:
        _lancar_ate(filhos, _processos(p.definicoes, previstos, ligacao.concurrency) - 1)
        return _obter(ex, p, ligacao, ja, filhos)
    finally:
        # any process not handed a share (or still running after a failure) is stopped: none outlives the task
        for proc in filhos:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout):
                if f and not f.closed:
                    f.close()


def _processos(d, n: int, concorrencia: int) -> int:
    """In how many processes to fetch ``n`` workers: up to ``fetch_processos``, each with at least
    ``fetch_min_por_processo`` workers and one request of the connection's budget."""
    return max(1, min(d.fetch_processos, n // max(1, d.fetch_min_por_processo), concorrencia))


def _obter(ex: Execucao, p: Portas, ligacao, ja: set[str], filhos: list) -> ResultadoObtencao:
    from ciclo.app.portas import LigacaoDireta

    with p.cliente(ex) as client:
        mensal = client.valores_apurados_mensal(ex.niss_ee, ex.mes)
        nisses = client.niss_obrigacao_trabalhadores(ex.niss_ee, ex.mes)
    estado = str(mensal.estado) if mensal.estado is not None else None
    p.ledger.apuramentos.registar(ex.niss_ee, ex.mes, estado or "DESCONHECIDO", n_trabalhadores=len(nisses),
                                  total_remuneracao=mensal.totalRemuneracao, total_obrigacao=mensal.totalObrigacao,
                                  data_limite_pagamento=mensal.dataLimitePagamento)
    if estado not in ("APURADO", "CONFIRMADO"):
        raise NadaAFazer(f"{ex.rotulo}: apuramento is {estado}; nothing to fetch")
    apurados = p.ledger.apurados
    falta = apurados.em_falta(ex.niss_ee, ex.mes, nisses, obtidos=ja)
    log.info("%s: %d workers apurados, %d still to fetch", ex.rotulo, len(nisses), len(falta))
    if not falta:
        return ResultadoObtencao(ex.niss_ee, 0)

    from ciclo.psi.bulk import FilaPartilhada

    k = _processos(p.definicoes, len(falta), ligacao.concurrency)
    _lancar_ate(filhos, k - 1)   # more to fetch than the payroll said: the rest start now
    filhos = filhos[:k - 1]       # (the others, not needed, are stopped by obter_todos)
    # each share with its part of the employer's budget: never more in flight than the connection allows, nor
    # more connections than its workers fill with PEDIDOS_POR_LIGACAO GETs each (a connection costs the client
    # and the server about what a GET does: 20 workers over 20 connections was a connection per GET, and a lote
    # fetches up to CICLO_LOTE_PARALELO employers at once anyway)
    concorrencia = max(1, min(ligacao.concurrency // k, -(-len(falta) // (k * PEDIDOS_POR_LIGACAO))))
    parte_da_ligacao = LigacaoDireta(ligacao.ambiente, ligacao.credenciais, timeout=ligacao.timeout,
                                     concurrency=concorrencia,
                                     rate_per_second=ligacao.rate_per_second / k if ligacao.rate_per_second else None,
                                     retry=getattr(ligacao, "retry", None))
    # This share starts at once, from the front of the list; the share processes, still importing, take their
    # parts from the back of what is left once all say they are ready (``_repartir``), so that every share ends
    # at about the same time. A static split let this share wait for the processes' imports (≈0.6 s at the
    # start of a 10,000-worker fetch with nothing in flight).
    fila = FilaPartilhada(falta)
    partilhas: list[tuple] = []
    erros: list[BaseException] = []

    def repartir():
        try:
            _repartir(ex, p, filhos, parte_da_ligacao, fila, partilhas)
        except BaseException as exc:  # noqa: BLE001 - raised in the task's thread below
            erros.append(exc)

    repartidor = threading.Thread(target=repartir, name="obtencao-repartir", daemon=True)
    repartidor.start()
    # if this share fails (or the task is being stopped), obter_todos stops the others; what any of them stored
    # stays in the ledger, batch by batch, and a retry fetches only the rest
    res = buscar_parte(apurados, ex.niss_ee, ex.mes, parte_da_ligacao, fila,
                       travas_rapidas=len(falta) >= p.definicoes.fetch_min_por_processo)
    repartidor.join()
    if erros:
        # a part may have been taken and not handed over: obter_todos stops the processes, and the retry fetches
        # whatever the ledger does not hold
        raise Repetivel(f"{ex.rotulo}: handing the fetch's shares to their processes failed "
                        f"({type(erros[0]).__name__}: {erros[0]}); what was fetched is kept, a retry fetches the rest")
    outros = [_esperar_filho(ex, proc, parte) for proc, parte in partilhas]
    for o in outros:
        res.total += o.total
        res.done += o.done
        res.failed.update(o.failed)
        res.seconds = max(res.seconds, o.seconds)
    # one audit row for the bulk fetch (a row per worker's GET would cost the fetch its speed)
    p.ledger.auditoria.registar("consultarValoresApuradosTrabalhador", "GET", "ok" if not res.failed else "erro",
                                int(res.seconds * 1000), niss_ee=ex.niss_ee, ano_mes=ex.mes,
                                referencia=f"{res.done}/{len(falta)} workers")
    if res.failed:
        amostra = ", ".join(f"{n} ({m})" for n, m in list(res.failed.items())[:10])
        raise Repetivel(f"{ex.rotulo}: {len(res.failed)} of {len(falta)} workers could not be fetched after "
                        f"retries: {amostra}. Fetched ones are kept; a retry fetches only the rest.")
    return ResultadoObtencao(ex.niss_ee, res.done)


def buscar_parte(apurados, niss_ee: str, mes: str, ligacao, nisses: list[str], *, travas_rapidas: bool = False):
    """Fetch ``nisses`` within ``ligacao``'s concurrency into the ledger's ``apurados`` (a batching writer thread
    commits a few hundred documents at a time); the ``BulkResult``. The task's share and each child's.
    ``travas_rapidas``: for a large employer's shares, which run alone in their processes (a lote's small
    employers run in threads of one process, where it costs more than it gains: ``ciclo.psi.httpcore_fast_acquire``)."""
    from ciclo.psi.bulk import BatchingSink, fetch_valores_apurados_sync

    def gravar(docs: list[tuple[str, dict]]) -> None:
        apurados.guardar(niss_ee, mes, [d for _, d in docs])

    with BatchingSink(gravar, max_batch=250) as sink:
        return fetch_valores_apurados_sync(ligacao.get_async_client, niss_ee, mes, nisses, sink,
                                           concurrency=ligacao.concurrency, rate_per_second=ligacao.rate_per_second,
                                           travas_rapidas=travas_rapidas)


def _lancar_ate(filhos: list, n: int) -> None:
    """Start share processes until ``filhos`` holds ``n`` (each appended as it starts, so ``obter_todos`` stops
    every one that started, whatever fails next)."""
    while len(filhos) < n:
        filhos.append(_lancar_filho())


def _lancar_filho():
    """Start ``ciclo.app.obtencao_filho``: it imports what it needs, then waits on its stdin for its share
    (``_entregar``); a process given nothing exits."""
    import sys

    return subprocess.Popen([sys.executable, "-m", "ciclo.app.obtencao_filho"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)


def _repartir(ex: Execucao, p: Portas, filhos: list, ligacao, fila, partilhas: list) -> None:
    """Wait until every share process says it is ready (its first line on stdout) or has died, then hand each
    ready one an equal part of what this process has not yet taken (``partilhas`` gets (process, part) for each
    one handed a part; one handed nothing is told so by its stdin closing). Runs beside this process's share."""
    prontos = []
    for proc in filhos:
        try:
            linha = proc.stdout.readline()
        except (OSError, ValueError):
            linha = b""
        if linha.strip() == PRONTO:
            prontos.append(proc)
        else:
            log.error("%s: the fetch process %d ended before it was ready (code %s); this process fetches its share",
                      ex.rotulo, proc.pid, proc.poll())
    partes = fila.ceder(len(prontos), len(prontos) + 1) if prontos else []
    for proc, parte in zip(prontos, partes):
        if parte:
            partilhas.append((proc, parte))
            _entregar(ex, p, proc, ligacao, parte)
        else:
            _fechar(proc.stdin)   # nothing left for it: it exits at once (reading no share), 0 — not killed
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass   # still running after that: obter_todos stops it


def _fechar(f) -> None:
    try:
        f.close()
    except OSError:
        pass


def _entregar(ex: Execucao, p: Portas, proc, ligacao, nisses: list[str]) -> None:
    """Hand a started process its share (``ligacao``: that share's connection) through its stdin."""
    import os
    import pickle

    spec = {"pai": os.getpid(), "ligacao": ligacao, "ledger_url": p.ledger.url, "niss_ee": ex.niss_ee, "mes": ex.mes,
            "nisses": list(nisses)}
    dados = pickle.dumps(spec)
    try:
        proc.stdin.write(dados)
    except OSError:
        pass   # it died: _esperar_filho says so
    finally:
        _fechar(proc.stdin)   # its share is whole (or it died): it never waits on an open stdin
    log.info("%s: %d workers fetched by process %d (concurrency %d)", ex.rotulo, len(nisses), proc.pid,
             ligacao.concurrency)


def _esperar_filho(ex: Execucao, proc, nisses: list[str]):
    """The share's outcome; a process that died or answered nothing readable leaves its workers not fetched (those
    it stored are in the ledger: a retry fetches only the rest)."""
    import json

    from ciclo.psi.bulk import BulkResult

    saida = proc.stdout.read()
    proc.wait()
    try:
        r = json.loads(saida.decode("utf-8").strip().splitlines()[-1])
        return BulkResult(total=len(nisses), done=int(r["done"]), failed=dict(r["failed"]), seconds=float(r["seconds"]))
    except (ValueError, KeyError, IndexError, TypeError):
        log.error("%s: the fetch process %d ended with code %s and no result", ex.rotulo, proc.pid, proc.returncode)
        motivo = f"the fetch process ended with code {proc.returncode} (its log is above)"
        return BulkResult(total=len(nisses), failed=dict.fromkeys(nisses, motivo))

