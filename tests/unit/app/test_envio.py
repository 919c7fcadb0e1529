"""Sending the valores de remuneração through the application layer, over an in-memory Segurança Social."""

from __future__ import annotations

import pytest

from ciclo.app import erros
from ciclo.app.envio import enviar_valores
from ciclo.psi import errors as E
from tests.unit.app.conftest import EE, MES, execucao, payload, snapshot_verificado


def test_sends_the_verified_payload_once_and_a_rerun_sends_nothing(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload())
    r1 = enviar_valores(execucao(mundo["emp"]), p)
    r2 = enviar_valores(execucao(mundo["emp"]), p)
    assert (r1.estado, r2.estado) == ("ENVIADO", "JA_ENVIADO")
    assert r1.comprovativo == r2.comprovativo and psi.posts("valores-remuneracao") == 1
    [s] = p.ledger.submissoes.do_mes(EE, MES)
    assert s["estado"] == "ACKNOWLEDGED" and s["comprovativo_entrega"] == r1.comprovativo


def test_a_blocked_snapshot_is_never_sent(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload(), ok=False)
    with pytest.raises(erros.BloqueadoQualidade, match="did not pass the quality gate"):
        enviar_valores(execucao(mundo["emp"]), p)
    assert psi.chamadas == []


def test_lost_answer_is_resolved_by_asking_the_ss_not_by_sending_again(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload())
    psi.perder_resposta_post = 1
    r = enviar_valores(execucao(mundo["emp"]), p)
    assert r.estado == "ENVIADO" and psi.posts("valores-remuneracao") == 1
    assert p.ledger.submissoes.do_mes(EE, MES)[-1]["estado"] == "ACKNOWLEDGED"


def test_a_crash_after_the_post_then_a_retry_finds_it_at_the_ss(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload())
    psi.perder_resposta_post = 1
    # the answer is lost AND the look-up right after fails: the row stays UNKNOWN and the task is retried
    original = psi.comprovativos
    psi.comprovativos = lambda *a, **k: (_ for _ in ()).throw(E.PsiRetryableError("503"))
    with pytest.raises(erros.EnvioIncerto):
        enviar_valores(execucao(mundo["emp"]), p)
    assert p.ledger.submissoes.do_mes(EE, MES)[-1]["estado"] == "UNKNOWN"
    psi.comprovativos = original
    r = enviar_valores(execucao(mundo["emp"]), p)  # the retry
    assert r.estado == "RETOMADO" and psi.posts("valores-remuneracao") == 1


def test_correction_guard_counts_an_earlier_submission_left_unknown_by_a_crash(mundo):
    """Issue 11 #4: a SENT/UNKNOWN row for another payload is a submission the SS may hold."""
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload("100.00"))
    psi.perder_resposta_post = 1
    psi.comprovativos = lambda *a, **k: (_ for _ in ()).throw(E.PsiRetryableError("503"))
    with pytest.raises(erros.EnvioIncerto):
        enviar_valores(execucao(mundo["emp"]), p)
    # the payroll is edited and run again without allow_correction
    snapshot_verificado(p, payload("250.00"))
    with pytest.raises(erros.CorrecaoNaoAutorizada, match="allow_correction"):
        enviar_valores(execucao(mundo["emp"]), p)
    assert psi.posts("valores-remuneracao") == 1
    # what the old submission produced is in the ledger: its apuramento, a worker's values, a decision
    p.ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=1)
    p.ledger.apurados.guardar(EE, MES, [{"nissTrabalhador": "12345678910", "totalObrigacao": 34}])
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "automatica")
    # deliberately allowed, it is sent once and recorded as a correction
    del psi.comprovativos
    r = enviar_valores(execucao(mundo["emp"], permitir_correcao=True), p)
    assert r.estado == "CORRECAO_ENVIADA" and psi.posts("valores-remuneracao") == 2
    assert p.ledger.submissoes.do_mes(EE, MES)[-1]["correcao"] in (True, 1)
    # Issue 11 #3: the month refreshes — fetched again, reconciled again, decided again
    assert p.ledger.apuramentos.obter(EE, MES) is None
    assert p.ledger.apurados.obtidos(EE, MES) == set()
    assert p.ledger.decisoes.obter(EE, MES) is None


def test_dry_run_sends_nothing(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload())
    assert enviar_valores(execucao(mundo["emp"], dry_run=True), p).estado == "DRY_RUN"
    assert psi.posts("valores-remuneracao") == 0


def test_a_429_on_the_post_waits_retry_after_and_sends_once_more(mundo):
    """Issue 11 #6: a 429 is "not processed" (not an unknown outcome): wait Retry-After, send once."""
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload())
    original = psi.enviar_valores_remuneracao
    recusas = []

    def uma_vez_429(niss_ee, corpo):
        if not recusas:
            recusas.append(1)
            psi.chamadas.append(("POST-429", "valores-remuneracao"))
            raise E.PsiRetryableError("429", status=429, retry_after=0.01)
        return original(niss_ee, corpo)

    psi.enviar_valores_remuneracao = uma_vez_429
    r = enviar_valores(execucao(mundo["emp"]), p)
    assert r.estado == "ENVIADO" and psi.posts("valores-remuneracao") == 1 and len(psi.submissoes) == 1
    assert ("GET", "comprovativos") not in psi.chamadas  # not treated as an unknown outcome
