"""Corrections of a closed month through Pedidos (app.pedidos, art. 26.º DR 1-A/2011), over an in-memory SS."""

from __future__ import annotations

from datetime import date

import pytest

from ciclo.app import pedidos
from ciclo.app.envio import enviar_valores
from tests.unit.app.conftest import execucao, payload, snapshot_verificado

# MES is 202610: acceptance limit 2026-11-20; in time until 2026-12-31; late until 2027-03-22 (03-20 is a Saturday)


@pytest.fixture
def enviado(mundo):
    """202610 sent with B 100.00 and acknowledged; the payroll then changed to 150.00."""
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload("100.00"))
    assert enviar_valores(execucao(mundo["emp"]), p).estado == "ENVIADO"
    snapshot_verificado(p, payload("150.00"))
    return mundo


def test_a_correction_in_time_is_proposed_blocking_the_send(enviado):
    enviado["psi"].estado_mensal = "CONFIRMADO"
    [prop] = pedidos.propostas(execucao(enviado["emp"]), enviado["p"], dia=date(2026, 12, 31))
    assert prop.tipo == "PEDIDO" and prop.bloqueia_envio
    assert prop.dados["situacao"] == "NO_PRAZO" and not prop.dados["fora_de_prazo"]
    assert prop.dados["alterados"] == ["12345678910"] and prop.dados["anulados"] == []
    assert "no prazo" in prop.descricao and "100.00 € → 150.00 €" in prop.descricao
    assert prop.dados["limite_no_prazo"] == "2026-12-31"


def test_a_late_correction_is_flagged(enviado):
    enviado["psi"].estado_mensal = "CONFIRMADO"
    [prop] = pedidos.propostas(execucao(enviado["emp"]), enviado["p"], dia=date(2027, 1, 4))
    assert prop.dados["situacao"] == "FORA_DE_PRAZO" and prop.dados["fora_de_prazo"]
    assert prop.dados["limite_fora_de_prazo"] == "2027-03-22"
    assert "FORA DE PRAZO" in prop.descricao and "art. 26.º n.º 2" in prop.descricao


def test_a_correction_too_late_is_refused(enviado):
    enviado["psi"].estado_mensal = "CONFIRMADO"
    with pytest.raises(pedidos.CorrecaoForaDoPrazo, match=r"requerimento with proof|requerimento com prova"):
        pedidos.propostas(execucao(enviado["emp"]), enviado["p"], dia=date(2027, 3, 23))
    assert enviado["psi"].posts("valores-remuneracao") == 1


def test_an_apurado_month_is_closed_only_after_the_acceptance_limit(enviado):
    ex, p, psi = execucao(enviado["emp"]), enviado["p"], enviado["psi"]
    psi.estado_mensal = "APURADO"
    assert pedidos.propostas(ex, p, dia=date(2026, 11, 20)) == []   # still open: a re-send is the correction
    [prop] = pedidos.propostas(ex, p, dia=date(2026, 11, 23))        # accepted by silence on 2026-11-20
    assert "aceite por silêncio" in prop.descricao


def test_nothing_to_propose_when_the_payroll_matches_what_the_ss_holds(mundo):
    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload("100.00"))
    enviar_valores(execucao(mundo["emp"]), p)
    psi.estado_mensal = "CONFIRMADO"
    assert pedidos.propostas(execucao(mundo["emp"]), p, dia=date(2026, 12, 1)) == []


def test_a_worker_no_longer_in_the_payroll_is_annulled(mundo):
    p, psi = mundo["p"], mundo["psi"]
    dois = payload("100.00")
    dois["trabalhadores"].append({**dois["trabalhadores"][0], "nissTrabalhador": "12345678929"})
    snapshot_verificado(p, dois)
    enviar_valores(execucao(mundo["emp"]), p)
    snapshot_verificado(p, payload("100.00"))
    psi.estado_mensal = "CONFIRMADO"
    [prop] = pedidos.propostas(execucao(mundo["emp"]), p, dia=date(2026, 12, 1))
    assert prop.dados["alterados"] == [] and prop.dados["anulados"] == ["12345678929"]
    assert "anulado" in prop.descricao


def test_a_closed_month_is_never_re_sent_through_the_valores_post(enviado):
    """Even with allow_correction: the way for a closed month is the Pedido."""
    enviado["psi"].estado_mensal = "CONFIRMADO"
    with pytest.raises(pedidos.MesFechado, match="Pedido"):
        enviar_valores(execucao(enviado["emp"], permitir_correcao=True), enviado["p"])
    assert enviado["psi"].posts("valores-remuneracao") == 1


def test_applying_a_stale_proposal_for_a_month_open_again_creates_nothing(enviado):
    enviado["psi"].estado_mensal = "CONFIRMADO"
    [prop] = pedidos.propostas(execucao(enviado["emp"]), enviado["p"], dia=date(2026, 12, 1))
    enviado["psi"].estado_mensal = "EM_APURAMENTO"   # e.g. a new submission reached the SS meanwhile
    from ciclo.app.erros import Definitivo

    with pytest.raises(Definitivo, match="not by Pedido"):
        pedidos.aplicar(execucao(enviado["emp"]), enviado["p"], prop, dia=date(2026, 12, 1))
    assert enviado["p"].ledger.pedidos.do_mes(enviado["emp"].niss_ee, "202610") == []


def test_a_ledger_that_never_sent_a_closed_month_holding_this_payroll_records_it_and_sends_nothing(mundo):
    """E.g. a new ledger, or a month declared before the pipeline: the SS closed it holding exactly this payroll."""
    p, psi = mundo["p"], mundo["psi"]
    psi.submissoes["c-antigo"] = payload("100.00")
    psi.estado_mensal = "CONFIRMADO"
    snapshot_verificado(p, payload("100.00"))
    r = enviar_valores(execucao(mundo["emp"]), p)
    assert (r.estado, r.comprovativo) == ("RETOMADO", "c-antigo") and psi.posts("valores-remuneracao") == 0
    assert p.ledger.submissoes.do_mes(mundo["emp"].niss_ee, "202610")[-1]["estado"] == "ACKNOWLEDGED"


def test_a_ledger_that_never_sent_a_closed_month_holding_other_values_sends_nothing(mundo):
    p, psi = mundo["p"], mundo["psi"]
    psi.submissoes["c-antigo"] = payload("100.00")
    psi.estado_mensal = "APURADO"
    snapshot_verificado(p, payload("150.00"))
    with pytest.raises(pedidos.MesFechado, match="Pedido"):
        enviar_valores(execucao(mundo["emp"], permitir_correcao=True), p)   # accepted by silence on 2026-11-20
    assert psi.posts("valores-remuneracao") == 0


def test_credentials_refused_when_asking_whether_the_month_is_closed_fail_the_submission(mundo):
    from ciclo.psi import errors as E

    p, psi = mundo["p"], mundo["psi"]
    snapshot_verificado(p, payload("100.00"))

    def recusa(*a, **k):
        raise E.PsiAuthError("credentials rejected for NISS 20000003116", servico="mensal", status=401)

    psi.valores_apurados_mensal = recusa
    with pytest.raises(E.PsiAuthError):
        enviar_valores(execucao(mundo["emp"]), p)
    [s] = p.ledger.submissoes.do_mes(mundo["emp"].niss_ee, "202610")
    assert s["estado"] == "FAILED" and "credentials rejected" in s["erro"] and psi.posts("valores-remuneracao") == 0
