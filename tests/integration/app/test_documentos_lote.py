"""Payment documents for a lote of employers against the sandbox: each employer's emission requested once, all
pending ones polled together (one wait per round, not one employer after another), each outcome separate."""

import time

import pytest

from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.documentos import emitir_documentos_lote
from ciclo.app.erros import NadaAFazer
from ciclo.app.portas import FontePastaLocal, LigacaoDireta, Portas
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger
from ciclo.psi import errors as E
from ciclo.psi.documentos import RONDA
from ciclo.psi.rest import RetryPolicy
from ciclo.sandbox.seed import EE_EXEMPLO, EE_INDUSTRIA, EE_SERVICOS

MES = "202509"
PISO = 1.0     # the poll floor (CICLO_EMISSAO_POLL) in these tests
DEMORA = 0.5   # the sandbox issues a document this long after the request: ready by the second round


@pytest.fixture
def lote(sandbox, tmp_path):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": DEMORA})
    d = Definicoes(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'l.sqlite3'}", emissao_poll_s=PISO)
    retry = RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1)
    ligs = {ee: LigacaoDireta.sandbox(sandbox.url, ee, "sandbox", retry=retry) for ee in (EE_EXEMPLO, EE_INDUSTRIA, EE_SERVICOS)}
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=lambda e: ligs[e.niss_ee],
               fonte=FontePastaLocal())
    exs = [Execucao(Employer(ee, f"EE {ee}", f"psi_{ee}", "file:///nada"), AnoMes.parse(MES))
           for ee in (EE_EXEMPLO, EE_INDUSTRIA, EE_SERVICOS)]
    yield exs, p
    p.fechar()


def _pedidos(sandbox, metodo, path):
    return sandbox.admin("GET", "requests", params={"method": metodo, "path_contains": path, "limit": 1000})


def test_two_employers_emissions_are_polled_together_and_a_third_not_confirmed_is_told_apart(sandbox, lote):
    exs, p = lote
    exemplo, industria, servicos = exs
    for ex in (exemplo, industria):  # the third month was never confirmed: no document may be asked for it
        p.ledger.decisoes.registar(ex.niss_ee, MES, "CONFIRMADO", "automatica")
    esperas = []

    def dormir(s):
        esperas.append(s)
        time.sleep(s)

    r_exemplo, r_industria, r_servicos = emitir_documentos_lote(exs, p, sleep=dormir)

    assert r_exemplo.estado == "sucesso" and len(r_exemplo.documentos) == 1
    assert r_industria.estado == "sem_valores"  # no apuramento to pay: processed, nothing to pay (15)
    assert isinstance(r_servicos, NadaAFazer) and "not confirmed" in str(r_servicos)
    assert len(_pedidos(sandbox, "POST", "pedido-emissao")) == 2  # each confirmed employer asked once
    # one round-wait for both (each alone would wait its own floor: one after another, 2 waits), at least the floor
    # after the first poll and at most the floor, its jitter and the round's window (ciclo.psi.documentos.RONDA)
    assert len(esperas) == 1 and 0.8 * PISO <= esperas[0] <= (1.1 + RONDA) * PISO
    consultas = [r["niss"] for r in _pedidos(sandbox, "GET", "consulta-pedido")]
    assert consultas == [EE_EXEMPLO, EE_INDUSTRIA, EE_EXEMPLO, EE_INDUSTRIA]  # polled in rounds, together
    # the outcome of each is in the ledger, and a second lote asks nothing again
    assert p.ledger.documentos.pedido(EE_EXEMPLO, MES, 11)["estado"] == "sucesso"
    assert p.ledger.documentos.pedido(EE_INDUSTRIA, MES, 11)["estado"] == "sem_valores"
    de_novo = emitir_documentos_lote(exs[:2], p, sleep=dormir)
    assert all(r.ja_emitido for r in de_novo) and len(_pedidos(sandbox, "POST", "pedido-emissao")) == 2


def test_one_employers_failed_request_does_not_stop_the_other_and_its_retry_asks_the_ss_first(sandbox, lote):
    exs, p = lote
    exemplo, industria, _ = exs
    for ex in (exemplo, industria):
        p.ledger.decisoes.registar(ex.niss_ee, MES, "CONFIRMADO", "automatica")
    # the first emission request (the first employer's) loses its answer
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "pedido-emissao", "mode": "lost_ack", "times": 1})
    r_exemplo, r_industria = emitir_documentos_lote([exemplo, industria], p, sleep=time.sleep)
    assert isinstance(r_exemplo, E.PsiOutcomeUnknown)
    assert p.ledger.documentos.pedido(EE_EXEMPLO, MES, 11)["estado"] == "PENDING"  # the evidence for its retry
    assert r_industria.estado == "sem_valores"
    # its retry looks in the SS's listing before asking again: the lost request was made, its document is there
    [r] = emitir_documentos_lote([exemplo], p, sleep=time.sleep)
    assert r.estado == "sucesso" and r.ja_emitido and len(r.documentos) == 1
    posts = _pedidos(sandbox, "POST", "pedido-emissao")
    assert [x["niss"] for x in posts] == [EE_EXEMPLO, EE_INDUSTRIA]  # never a second request for either
    # every lease is released: the single-employer step takes it again at once
    from ciclo.app.documentos import emitir_documentos

    assert emitir_documentos(exemplo, p).ja_emitido
