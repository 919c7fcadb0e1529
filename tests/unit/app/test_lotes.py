"""Lotes: task instances grow with the work, not the number of employers; no mapping can exceed the ceiling; one
employer's stop never stops the rest of its lote."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ciclo.app import lotes as L
from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.erros import Definitivo, NadaAFazer
from ciclo.app.portas import Portas
from ciclo.domain.periodo import AnoMes
from ciclo.psi import errors as E


def _ex(i: int) -> Execucao:
    return Execucao(Employer(f"{20000000000 + i}", f"EE {i}", f"psi_{i}", "/x/{niss_ee}/{ano_mes}"),
                    AnoMes.parse("202610"))


def test_small_employers_share_lotes_and_a_heavy_one_runs_alone():
    exs = [_ex(i) for i in range(45)]
    pesos = {ex.niss_ee: 10_000 for ex in exs} | {exs[7].niss_ee: 5_000_000}
    lotes = L.agrupar(exs, pesos, peso_max=2_000_000, max_por_lote=20, max_lotes=1024)
    assert [len(l.execucoes) for l in lotes] == [1, 20, 20, 4]
    assert lotes[0].execucoes[0] is exs[7]                       # the heavy one first, alone
    assert sorted(ex.niss_ee for l in lotes for ex in l.execucoes) == sorted(ex.niss_ee for ex in exs)
    assert lotes[0].rotulo == "EE 7 (20000000007)" and lotes[1].rotulo.startswith("Lote 2 · 20 EE: EE 0, EE 1, EE 2, +17")


def test_weight_fills_a_lote_before_the_count_does():
    exs = [_ex(i) for i in range(6)]
    lotes = L.agrupar(exs, {ex.niss_ee: 900_000 for ex in exs}, peso_max=2_000_000, max_por_lote=20, max_lotes=1024)
    assert [len(l.execucoes) for l in lotes] == [2, 2, 2]


@pytest.mark.parametrize("n, max_lotes", [(1500, 1024), (1500, 8), (12, 8), (3, 8)])
def test_never_more_lotes_than_the_mapping_ceiling(n, max_lotes):
    exs = [_ex(i) for i in range(n)]
    # every employer heavy enough to run alone: the ceiling, not the weight, decides
    lotes = L.agrupar(exs, {ex.niss_ee: 3_000_000 for ex in exs}, peso_max=2_000_000, max_por_lote=1,
                      max_lotes=max_lotes)
    assert len(lotes) == min(n, max_lotes)
    assert sum(len(l.execucoes) for l in lotes) == n
    tamanhos = [len(l.execucoes) for l in lotes]
    assert max(tamanhos) - min(tamanhos) <= 1                  # balanced


def test_an_employer_of_600000_workers_is_one_lote_and_one_fetch():
    grande = _ex(1)
    lotes = L.agrupar([grande], {grande.niss_ee: 600_000 * 400}, peso_max=2_000_000, max_por_lote=20, max_lotes=8)
    assert len(lotes) == 1 and lotes[0].execucoes == (grande,)


def test_a_lote_round_trips_through_xcom():
    lote = L.agrupar([_ex(1), _ex(2)], {}, peso_max=1, max_por_lote=5, max_lotes=4)[0]
    assert L.Lote.de_xcom(lote.para_xcom()) == lote


@dataclass
class _Notas:
    registos: list = field(default_factory=list)

    def notificar(self, registo, assunto):
        self.registos.append((registo, assunto))


def _portas(notas):
    return Portas(definicoes=Definicoes(), abrir_ledger=lambda: None, psi=lambda e: None, fonte=None,
                  notificador=notas)


def test_each_employer_keeps_its_own_outcome_and_a_stop_is_notified():
    exs = [_ex(i) for i in range(4)]
    lote = L.Lote(1, tuple(exs))
    notas = _Notas()

    def passo(ex, p):
        return {"n": {0: 1, 2: 3}[int(ex.niss_ee[-1])]} if ex.niss_ee[-1] in "02" else (
            (_ for _ in ()).throw(Definitivo("quality blocked")) if ex.niss_ee.endswith("1") else
            (_ for _ in ()).throw(NadaAFazer("dry run")))

    r = L.correr_lote(passo, "preparar_folha", lote, _portas(notas))
    est = {k[-1]: v["estado"] for k, v in r.estados.items()}
    assert est == {"0": "ok", "1": "falhou", "2": "ok", "3": "nada"}
    assert r.estados[exs[2].niss_ee]["resultado"] == {"n": 3}
    assert [n[0]["niss_ee"] for n in notas.registos] == [exs[1].niss_ee]
    assert not r.todos_falharam() and not r.repetiveis

    # the next step takes only the employers still going; the others carry their state on
    vistos = []
    r2 = L.correr_lote(lambda ex, p: vistos.append(ex.niss_ee) or {}, "enviar_valores", lote, _portas(notas),
                       r.para_xcom())
    assert vistos == [exs[0].niss_ee, exs[2].niss_ee]
    assert r2.estados[exs[1].niss_ee] == {"estado": "falhou", "mensagem": "quality blocked", "passo": "preparar_folha"}
    # payment documents take every employer that did not fail; the report every employer
    vistos.clear()
    L.correr_lote(lambda ex, p: vistos.append(ex.niss_ee) or {}, "documentos", lote, _portas(notas), r.para_xcom(),
                  regra=L.NAO_FALHADOS)
    assert vistos == [exs[0].niss_ee, exs[2].niss_ee, exs[3].niss_ee]


def test_a_transient_error_is_retried_and_on_the_last_try_stops_only_that_employer():
    exs = [_ex(i) for i in range(2)]
    lote = L.Lote(1, tuple(exs))

    def passo(ex, p):
        if ex is exs[0]:
            raise E.PsiRetryableError("503 from the PSI", status=503)
        return {}

    notas = _Notas()
    r = L.correr_lote(passo, "obter_apurados", lote, _portas(notas), ultima_tentativa=False)
    assert list(r.repetiveis) == [exs[0].niss_ee] and not notas.registos   # → the task is retried
    r = L.correr_lote(passo, "obter_apurados", lote, _portas(notas), ultima_tentativa=True)
    assert not r.repetiveis and r.estados[exs[0].niss_ee]["estado"] == "falhou"
    assert "PsiRetryableError: 503 from the PSI (no retry left)" == r.estados[exs[0].niss_ee]["mensagem"]
    assert len(notas.registos) == 1
    assert r.estados[exs[1].niss_ee]["estado"] == "ok"


def test_credentials_rejected_are_not_retried():
    lote = L.Lote(1, (_ex(0),))

    def passo(ex, p):
        raise E.PsiAuthError("credentials rejected for NISS 20000000000")

    r = L.correr_lote(passo, "comunicar_contratos", lote, _portas(_Notas()), ultima_tentativa=False)
    assert not r.repetiveis and r.todos_falharam()


def test_employers_waiting_on_the_ss_overlap_and_keep_their_outcomes_in_order():
    """``paralelo``: a lote's employers whose step waits (a search the SS answers "not processed yet" first) wait
    at the same time; each still gets its own outcome, in the lote's order, a stop notified once."""
    import threading
    import time

    exs = [_ex(i) for i in range(8)]
    lote = L.Lote(1, tuple(exs))
    notas = _Notas()
    em_curso, maximo, trava = [0], [0], threading.Lock()

    def passo(ex, p):
        with trava:
            em_curso[0] += 1
            maximo[0] = max(maximo[0], em_curso[0])
        time.sleep(0.2)
        with trava:
            em_curso[0] -= 1
        if ex.niss_ee.endswith("3"):
            raise Definitivo("refused by the SS")
        if ex.niss_ee.endswith("5"):
            raise E.PsiRetryableError("503", servico="x")
        return {"ee": ex.niss_ee}

    t0 = time.monotonic()
    r = L.correr_lote(passo, "comunicar_cessacoes", lote, _portas(notas), paralelo=4, ultima_tentativa=False)
    assert time.monotonic() - t0 < 0.2 * 8 / 2          # one at a time would take 1.6 s; 4 at a time ≈ 0.4 s
    assert maximo[0] == 4
    assert list(r.estados) == [ex.niss_ee for ex in exs if not ex.niss_ee.endswith("5")]
    assert r.estados[exs[3].niss_ee]["estado"] == "falhou" and r.estados[exs[7].niss_ee]["resultado"] == {"ee": exs[7].niss_ee}
    assert list(r.repetiveis) == [exs[5].niss_ee]
    assert [n[0]["niss_ee"] for n in notas.registos] == [exs[3].niss_ee]
