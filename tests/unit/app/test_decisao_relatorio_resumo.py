"""Deciding, reporting and judging a month through the application layer (in-memory PSI and mailer, real ledger)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ciclo.app import erros
from ciclo.app.configuracao import ConfigError, Definicoes
from ciclo.app.decisao import aplicar_resposta, pedido_aprovacao
from ciclo.app.relatorio import relatorio_financas
from ciclo.app.resumo import linha_do_employer, resumir
from tests.unit.app.conftest import EE, MES, execucao, payload, snapshot_verificado


def test_explicit_approval_confirms_once_and_names_the_operator_in_words(mundo):
    p, psi = mundo["p"], mundo["psi"]
    ex = execucao(mundo["emp"])
    resposta = {"chosen_options": ["Approve"], "responded_by_user": {"id": "ana", "name": "Ana Costa"}}
    r = aplicar_resposta(ex, p, resposta)
    again = aplicar_resposta(ex, p, resposta)
    assert (r.estado, r.modo, r.decidido_por) == ("CONFIRMADO", "aprovada", "Ana Costa")
    assert again.ja_confirmado and psi.posts("confirmar") == 1
    assert p.ledger.decisoes.obter(EE, MES)["decidido_por"] == "Ana Costa"


def test_the_timeout_default_is_silence_recorded_as_acceptance_without_a_confirmation(mundo):
    p, psi = mundo["p"], mundo["psi"]
    r = aplicar_resposta(execucao(mundo["emp"]), p, {"chosen_options": ["Approve"], "responded_by_user": None})
    assert (r.estado, r.modo) == ("CONFIRMADO", "silencio") and psi.posts("confirmar") == 0


def test_rejection_is_recorded_and_stops_the_employer(mundo):
    p, psi = mundo["p"], mundo["psi"]
    with pytest.raises(erros.Definitivo, match="rejected"):
        aplicar_resposta(execucao(mundo["emp"]), p, {"chosen_options": ["Reject"], "responded_by_user": "rui"})
    assert p.ledger.decisoes.obter(EE, MES)["estado"] == "REJEITADO" and psi.posts("confirmar") == 0


def test_approval_is_asked_only_with_differences_and_gets_a_minimum_window_after_day_20(mundo):
    p = mundo["p"]
    ex = execucao(mundo["emp"])
    with pytest.raises(erros.NadaAFazer):
        pedido_aprovacao(ex, p, {"dentro_tolerancia": True})
    with pytest.raises(erros.NadaAFazer):
        pedido_aprovacao(execucao(mundo["emp"], dry_run=True), p, {"dentro_tolerancia": False})
    antes = pedido_aprovacao(ex, p, {"dentro_tolerancia": False, "fora_tolerancia": 2, "resumo": "x"},
                             agora=datetime(2026, 11, 10, 12, tzinfo=timezone.utc))
    depois = pedido_aprovacao(ex, p, {"dentro_tolerancia": False, "fora_tolerancia": 2, "resumo": "x"},
                              agora=datetime(2026, 11, 25, 12, tzinfo=timezone.utc))
    assert timedelta(days=10) < antes.prazo < timedelta(days=11)  # to the end of 20 November (Lisbon)
    assert depois.prazo == timedelta(minutes=60)
    assert "Exemplo, Lda. (20000003116)" in antes.assunto and "outubro de 2026" in antes.assunto


def test_no_finance_report_for_an_employer_that_reached_no_decision(mundo):
    """Issue 11 #7: an employer blocked earlier gets no email ("a pagar None €")."""
    p = mundo["p"]
    with pytest.raises(erros.NadaAFazer, match="no decision"):
        relatorio_financas(execucao(mundo["emp"]), p)
    assert mundo["mailer"].enviados == []


def test_the_finance_email_goes_once_per_content_and_again_when_the_facts_change(mundo):
    p, mailer = mundo["p"], mundo["mailer"]
    ex = execucao(mundo["emp"])
    p.ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=1, total_obrigacao=Decimal("556.00"))
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "automatica")
    assert relatorio_financas(ex, p).email
    assert relatorio_financas(ex, p).ja_enviado  # a re-run: same facts, no second email
    assert len(mailer.enviados) == 1
    assert "Exemplo, Lda." in mailer.enviados[0]["Subject"]
    p.ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=1, total_obrigacao=Decimal("600.00"))
    assert relatorio_financas(ex, p).email  # a correction changed the obligation: finance hears of it
    assert len(mailer.enviados) == 2


def test_a_refused_correction_fails_the_run_naming_the_employer_even_if_the_month_was_done_before(mundo):
    """Issue 11 #5: the verdict is judged against this run's payroll, not only the ledger's past."""
    p, psi = mundo["p"], mundo["psi"]
    from ciclo.app.envio import enviar_valores

    ex = execucao(mundo["emp"])
    snapshot_verificado(p, payload("100.00"))
    enviar_valores(ex, p)
    p.ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=0)
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "automatica")
    p.ledger.documentos.gravar_pedido(EE, MES, 11, estado="sem_valores")
    assert linha_do_employer(ex, p)["estado"] == "CONCLUIDO"
    snapshot_verificado(p, payload("250.00"))  # the payroll changed; the correction is refused
    with pytest.raises(erros.CorrecaoNaoAutorizada):
        enviar_valores(ex, p)
    with pytest.raises(erros.Definitivo, match=f"{EE} \\(ENVIO_POR_FAZER\\)"):
        resumir([ex], p)


def test_the_ledger_location_is_never_guessed(tmp_path):
    """Issue 11 #1: no ledger configured is an error, not a local file; the demo says so explicitly."""
    with pytest.raises(ConfigError, match="ledger's location is not configured"):
        Definicoes.do_ambiente({"CICLO_HOME": str(tmp_path)}).url_do_ledger()
    local = Definicoes.do_ambiente({"CICLO_HOME": str(tmp_path), "CICLO_LEDGER_LOCAL": "1"}).url_do_ledger()
    assert local == f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with pytest.raises(ConfigError, match="CICLO_EMAIL_POR"):
        Definicoes.do_ambiente({"CICLO_EMAIL_POR": "sometimes"})
    with pytest.raises(ConfigError, match="CICLO_TOLERANCIA"):
        Definicoes.do_ambiente({"CICLO_TOLERANCIA": "um cêntimo"})


def test_an_alert_from_the_ss_blocks_automatic_confirmation_and_reaches_the_operator(mundo):
    """Issue 12: an alert (DR 1-A/2011 art. 22 n.º 2–3: values not considered) is never confirmed silently."""
    from ciclo.app.decisao import alertas_do_mes, confirmar_automaticamente
    from ciclo.app.envio import enviar_valores

    p, psi = mundo["p"], mundo["psi"]
    ex = execucao(mundo["emp"])
    snapshot_verificado(p, payload())
    comp = enviar_valores(ex, p).comprovativo
    psi.alertas_ss = [{"comprovativoEntrega": comp, "anoMes": MES, "nissTrabalhador": 12345678910, "codigo": "A12",
                       "mensagem": "Natureza B sem vínculo ativo: valor não considerado"},
                      {"comprovativoEntrega": "de-outra-entrega", "mensagem": "não é desta"}]
    alertas = alertas_do_mes(ex, p)
    assert alertas == [f"12345678910: Natureza B sem vínculo ativo: valor não considerado (comprovativo {comp})"]
    rec = {"dentro_tolerancia": True, "fora_tolerancia": 0, "resumo": "sem diferenças", "alertas": alertas}
    with pytest.raises(erros.NadaAFazer, match="alert"):
        confirmar_automaticamente(ex, p, rec)
    pedido = pedido_aprovacao(ex, p, rec)
    assert "Alertas da Segurança Social" in pedido.corpo and "valor não considerado" in pedido.corpo
    assert psi.posts("confirmar") == 0
    # and finance reads it in the report
    p.ledger.apuramentos.registar(EE, MES, "APURADO", n_trabalhadores=1, total_obrigacao=Decimal("34.75"))
    p.ledger.decisoes.registar(EE, MES, "CONFIRMADO", "aprovada", "Ana")
    assert relatorio_financas(ex, p).email
    corpo = mundo["mailer"].enviados[0].get_body(("plain",)).get_content()
    assert "ALERTA DA SEGURANÇA SOCIAL" in corpo and "valor não considerado" in corpo


def test_a_token_expiring_within_a_week_is_said_at_the_start_of_the_run(mundo):
    """Issue 12: a Bearer token's ``exp`` is checked when the run starts, not discovered as a 401 mid-month."""
    import base64
    import json as _json

    from ciclo.app.execucao import avisar_credenciais
    from ciclo.psi.auth import Credenciais

    def jwt(exp: datetime) -> str:
        b = lambda d: base64.urlsafe_b64encode(_json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
        return f"{b({'alg': 'HS256'})}.{b({'sub': EE, 'exp': int(exp.timestamp())})}.assinatura"

    p, psi = mundo["p"], mundo["psi"]
    notas = []
    p.notificador = type("N", (), {"notificar": lambda self, r, a: notas.append((r, a))})()
    psi.credenciais = Credenciais(EE, token=jwt(datetime.now(timezone.utc) + timedelta(days=3)))
    [aviso] = avisar_credenciais([execucao(mundo["emp"])], p)
    assert "Exemplo, Lda." in aviso and notas and notas[0][0]["tipo"] == "credenciais"
    assert "assinatura" not in aviso  # never the token itself
    psi.credenciais = Credenciais(EE, token=jwt(datetime.now(timezone.utc) + timedelta(days=60)))
    assert avisar_credenciais([execucao(mundo["emp"])], p) == []
