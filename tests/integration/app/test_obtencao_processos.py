"""A large employer's fetch split between processes (issue #15): every worker fetched exactly once into the
ledger, the employer's concurrency budget split (never more in flight than it allows), and a share whose process
dies leaves its workers to a retry that fetches only them."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from ciclo.app import envio, folha, obtencao
from ciclo.app.erros import Repetivel
from ciclo_dev.drill import MES, Ambiente, esperar_apurado


@pytest.fixture
def mes_apurado(sandbox, tmp_path):
    """One employer of 60 workers, sent and apurado; nothing fetched yet."""
    from ciclo_dev.cenario import preparar

    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 0.2, "emissao_delay_seconds": 0.2})
    cen = preparar(tmp_path / "cen", sandbox.url, ano_mes=MES, employers=1, workers=60, seed=43)
    amb = Ambiente(sandbox, SimpleNamespace(port=0), tmp_path, f"sqlite:///{tmp_path / 'l.sqlite3'}", cen.employers[0])
    ex, p = amb.execucao(), amb.portas()
    folha.preparar_folha(ex, p)
    envio.enviar_valores(ex, p)
    esperar_apurado(ex, p)
    yield ex, p
    p.fechar()


def _obter_devagar(sandbox, ex, p):
    """``obter_todos`` with every per-worker GET taking 100 ms at the sandbox (requests overlap visibly)."""
    sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                           "latency_ms": 100, "jitter_ms": 0}])
    try:
        return obtencao.obter_todos(ex, p)
    finally:
        sandbox.admin("PUT", "faults", json=[])


def _gets(sandbox):
    return [r for r in sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/", "limit": 100000})
            if r["method"] == "GET"]


def test_three_processes_fetch_every_worker_once_within_the_employers_budget(sandbox, mes_apurado):
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=3, fetch_min_por_processo=10)
    r = _obter_devagar(sandbox, ex, p)
    n = p.ledger.apuramentos.ultimo(ex.niss_ee, ex.mes)["n_trabalhadores"] if hasattr(
        p.ledger.apuramentos, "ultimo") else None
    gets = _gets(sandbox)
    nisses = [g["path"].rsplit("/", 1)[-1] for g in gets]
    assert r.obtidos == len(set(nisses)) == len(nisses) >= 55        # each worker once, by some process
    assert not p.ledger.apurados.em_falta(ex.niss_ee, ex.mes, nisses)
    assert n in (None, r.obtidos)
    # the connection allows 8 in flight (the drill's sandbox connection): 3 processes × 2, never more than 8, and
    # more than one process's 2 at once
    em_voo = _em_voo_max(gets)
    assert 2 < em_voo <= 8, em_voo


def test_a_small_fetch_keeps_a_few_workers_per_connection(sandbox, mes_apurado, monkeypatch):
    """A share opens no more connections than its workers fill with ``PEDIDOS_POR_LIGACAO`` GETs each (20 workers
    over 20 connections was one connection per GET); the connection's budget still bounds it."""
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=1)
    monkeypatch.setattr(obtencao, "PEDIDOS_POR_LIGACAO", 20)  # 60 workers: 3 at a time, where the budget allows 8
    r = _obter_devagar(sandbox, ex, p)
    gets = _gets(sandbox)
    assert r.obtidos == len(gets) >= 55
    assert _em_voo_max(gets) == 3


def _em_voo_max(gets) -> int:
    """The most GETs the sandbox held at once. Its log gives each GET's end truncated to the millisecond and its
    duration: a GET sent on a connection less than 1 ms after the previous answer there would seem to overlap
    it, so each start counts 1 ms late (the requests here last 100 ms)."""
    from datetime import datetime

    eventos = []
    for g in gets:
        fim = datetime.fromisoformat(g["time"]).timestamp()
        eventos += [(fim - g["duration_ms"] / 1000 + 0.001, 1), (fim, -1)]
    atual = maximo = 0
    for _, d in sorted(eventos, key=lambda e: (e[0], e[1])):
        atual += d
        maximo = max(maximo, atual)
    return maximo


def test_a_share_whose_process_dies_is_fetched_by_the_retry_and_nothing_twice(sandbox, mes_apurado, monkeypatch):
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                           "latency_ms": 150, "jitter_ms": 0}])
    entregar = obtencao._entregar
    entregues: list[int] = []

    def entregar_e_matar(ex_, p_, proc, ligacao, nisses):
        entregar(ex_, p_, proc, ligacao, nisses)
        proc.kill()   # the worker machine loses that process as it starts on its share
        entregues.append(len(nisses))

    monkeypatch.setattr(obtencao, "_entregar", entregar_e_matar)
    try:
        with pytest.raises(Repetivel, match="could not be fetched.*a retry fetches only the rest"):
            obtencao.obter_todos(ex, p)
        primeira = {g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)}
        assert len(entregues) == 1 and 0 < entregues[0] < 60
        assert len(primeira) <= 60 - entregues[0]                       # the parent's own share got through
        monkeypatch.setattr(obtencao, "_entregar", entregar)
        r = obtencao.obter_todos(ex, p)                                 # the retry
    finally:
        sandbox.admin("PUT", "faults", json=[])
    nisses = [g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)]
    assert len(nisses) == len(set(nisses))                             # nothing fetched twice
    assert r.obtidos == len(set(nisses)) - len(primeira) >= entregues[0]


def test_a_failure_handing_over_a_share_fails_the_task_for_a_retry_with_nothing_lost_or_twice(
        sandbox, mes_apurado, monkeypatch):
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                           "latency_ms": 150, "jitter_ms": 0}])
    procs = _lancamentos(monkeypatch, [])
    entregar = obtencao._entregar
    tentativas: list[int] = []

    def avariar(e, pp, proc, lig, nisses):
        tentativas.append(len(nisses))
        raise RuntimeError("the pipe to the share process broke")

    monkeypatch.setattr(obtencao, "_entregar", avariar)
    try:
        with pytest.raises(Repetivel, match="handing the fetch's shares.*a retry fetches the rest"):
            obtencao.obter_todos(ex, p)
        assert tentativas and all(pr.poll() is not None for pr in procs)   # none left waiting for its share
        primeira = {g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)}
        assert len(primeira) <= 60 - tentativas[0]
        monkeypatch.setattr(obtencao, "_entregar", entregar)
        r = obtencao.obter_todos(ex, p)
    finally:
        sandbox.admin("PUT", "faults", json=[])
    nisses = [g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)]
    assert len(nisses) == len(set(nisses)) and r.obtidos == len(nisses) - len(primeira)
    assert not p.ledger.apurados.em_falta(ex.niss_ee, ex.mes, nisses)


def test_a_process_that_dies_before_it_is_ready_leaves_its_share_to_this_one(sandbox, mes_apurado, monkeypatch):
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    lancar = obtencao._lancar_filho

    def lancar_e_matar():
        proc = lancar()
        proc.kill()   # lost while it imports: it never says it is ready
        return proc

    monkeypatch.setattr(obtencao, "_lancar_filho", lancar_e_matar)
    r = obtencao.obter_todos(ex, p)
    nisses = [g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)]
    assert r.obtidos == len(nisses) == len(set(nisses)) >= 55            # all of them, by this process, once
    assert not p.ledger.apurados.em_falta(ex.niss_ee, ex.mes, nisses)


def test_this_share_fetches_while_the_processes_import_and_they_take_part_of_the_rest(sandbox, mes_apurado,
                                                                                       monkeypatch):
    """The task's share starts at once; a share process that takes 1 s more to be ready is handed half of what is
    left then (not half of the whole, as a split made up front gave it), and every worker is fetched exactly
    once."""
    import subprocess
    import sys

    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                           "latency_ms": 400, "jitter_ms": 0}])
    codigo = ("import time, runpy; time.sleep(1.0); "
              "runpy.run_module('ciclo.app.obtencao_filho', run_name='__main__')")
    monkeypatch.setattr(obtencao, "_lancar_filho", lambda: subprocess.Popen(
        [sys.executable, "-c", codigo], stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    entregar = obtencao._entregar
    entregues: list[int] = []
    monkeypatch.setattr(obtencao, "_entregar", lambda e, pp, proc, lig, nisses: (
        entregues.append(len(nisses)), entregar(e, pp, proc, lig, nisses)))
    try:
        r = obtencao.obter_todos(ex, p)
    finally:
        sandbox.admin("PUT", "faults", json=[])
    nisses = [g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)]
    assert r.obtidos == len(nisses) == len(set(nisses)) >= 55
    # 4 in flight × 400 ms: 10 a second fetched here until the process was ready (1 s + its imports); it took
    # half of the rest: something, and less than half of the whole
    assert len(entregues) == 1 and 1 <= entregues[0] < len(nisses) // 2, entregues


def _lancamentos(monkeypatch, eventos: list):
    lancar = obtencao._lancar_filho
    procs = []

    def registar():
        eventos.append("processo")
        procs.append(lancar())
        return procs[-1]

    monkeypatch.setattr(obtencao, "_lancar_filho", registar)
    return procs


def test_the_share_processes_start_before_the_ss_is_asked_for_the_list(sandbox, mes_apurado, monkeypatch):
    # a process takes ~0.8 s to import what it needs: it does so while the task asks the SS for the list
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    eventos: list[str] = []
    procs = _lancamentos(monkeypatch, eventos)
    cliente = p.cliente

    def cliente_registado(*a, **kw):
        eventos.append("psi")
        return cliente(*a, **kw)

    monkeypatch.setattr(p, "cliente", cliente_registado)
    r = obtencao.obter_todos(ex, p)
    assert eventos == ["processo", "psi"]
    assert r.obtidos >= 55 and not p.ledger.apurados.em_falta(ex.niss_ee, ex.mes, [g["path"].rsplit("/", 1)[-1]
                                                                                     for g in _gets(sandbox)])
    assert [pr.returncode for pr in procs] == [0]


def test_a_process_started_and_not_needed_is_stopped(sandbox, mes_apurado, monkeypatch):
    # the payroll said more workers than the SS lists (here: 1,000 against 60): 3 processes started, 2 used
    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=3, fetch_min_por_processo=25)
    monkeypatch.setattr(type(p.ledger.reconciliacoes), "n_internos", lambda self, ee, mes: 1000)
    procs = _lancamentos(monkeypatch, [])
    r = obtencao.obter_todos(ex, p)
    nisses = [g["path"].rsplit("/", 1)[-1] for g in _gets(sandbox)]
    assert r.obtidos == len(nisses) == len(set(nisses)) >= 55
    assert len(procs) == 2 and all(pr.poll() is not None for pr in procs)   # none left running
    assert sorted(pr.returncode for pr in procs) == [-9, 0]              # the one not needed was stopped


def test_a_failure_before_the_shares_leaves_no_process_running(sandbox, mes_apurado, monkeypatch):
    from ciclo.psi import errors as E

    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=3, fetch_min_por_processo=10)
    procs = _lancamentos(monkeypatch, [])

    def cliente_em_baixo(*a, **kw):
        raise E.PsiRetryableError("valoresApurados: temporarily unavailable (HTTP 503)")

    monkeypatch.setattr(p, "cliente", cliente_em_baixo)
    with pytest.raises(E.PsiRetryableError):
        obtencao.obter_todos(ex, p)
    assert len(procs) == 2 and all(pr.poll() is not None for pr in procs)
    assert not _gets(sandbox)


def test_the_ledger_keeps_each_document_as_the_segurança_social_sent_it(sandbox, mes_apurado, monkeypatch):
    """The raw document is the answer's text, byte for byte (the sandbox writes the spec's field order, not the
    sorted keys ``jsonexato.dumps`` would write), from the task's share and from a share process alike."""
    import sqlite3

    import httpx

    from ciclo.domain import jsonexato
    from ciclo.psi.auth import Credenciais

    ex, p = mes_apurado
    p.definicoes = dataclasses.replace(p.definicoes, fetch_processos=2, fetch_min_por_processo=10)
    # slow enough that the share process is ready before this one has fetched them all
    sandbox.admin("PUT", "faults", json=[{"method": "GET", "path": "/trabalhador/", "mode": "latency",
                                           "latency_ms": 150, "jitter_ms": 0}])
    entregar = obtencao._entregar
    entregues: list[list[str]] = []
    monkeypatch.setattr(obtencao, "_entregar", lambda e, pp, proc, lig, nisses: (
        entregues.append(list(nisses)), entregar(e, pp, proc, lig, nisses)))
    try:
        obtencao.obter_todos(ex, p)
    finally:
        sandbox.admin("PUT", "faults", json=[])
    assert len(entregues) == 1 and entregues[0]
    url = p.ledger.url.removeprefix("sqlite:///")
    with sqlite3.connect(url) as db:
        linhas = db.execute("SELECT niss_trabalhador, raw_json FROM valores_apurados WHERE niss_ee = ? AND ano_mes = ?",
                            (ex.niss_ee, ex.mes)).fetchall()
    assert len(linhas) >= 55
    cabecalhos = {"Authorization": Credenciais(ex.niss_ee, password="sandbox").authorization()}
    with httpx.Client(base_url=f"{sandbox.url}/ptss/rest", headers=cabecalhos) as c:
        do_filho = set(entregues[0])
        amostra = [l for l in linhas if l[0] in do_filho][:3] + [l for l in linhas if l[0] not in do_filho][:3]
        assert len(amostra) == 6
        for niss, raw in amostra:   # both shares: the share process's and this one's
            r = c.get(f"/eeaoc/valores-apurados/entidade-empregadora/{ex.niss_ee}/ano-mes/{ex.mes}/trabalhador/{niss}")
            assert r.status_code == 200
            assert raw == r.text
            assert raw != jsonexato.dumps(jsonexato.loads(raw))   # not written again (keys in the spec's order)
