"""Corrections of a closed month through Pedidos (art. 26.º DR 1-A/2011), through the application layer against the
real sandbox on loopback: in time, late (flagged), too late (refused), refused by the SS; an accepted Pedido makes
the SS re-run the month's apuramento and the pipeline refreshes the month as a correction."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from ciclo.app import pedidos
from ciclo.app.configuracao import Definicoes, Employer
from ciclo.app.contexto import Execucao
from ciclo.app.envio import enviar_valores, payload_hash
from ciclo.app.erros import Repetivel
from ciclo.app.obtencao import obter_todos
from ciclo.app.portas import FontePastaLocal, LigacaoDireta, Portas
from ciclo.app.relatorio import escrever_relatorio
from ciclo.app.resumo import linha_do_employer
from ciclo.domain import jsonexato
from ciclo.domain.periodo import AnoMes
from ciclo.ledger import Ledger
from ciclo.psi import errors as E
from ciclo.psi.pedidos import Pedidos
from ciclo.psi.rest import RetryPolicy

EE, TRAB = "20000003116", "10000000001"  # the seed's employer: one worker, 1600.00 a month since 2022


def mes_antes(n: int) -> str:
    """The month ``n`` months before today's (the windows are counted from today, so the tests move with it)."""
    m = AnoMes.de_data(pedidos.hoje())
    for _ in range(n):
        m = m.anterior()
    return str(m)


@dataclass
class NotificadorFalso:
    avisos: list = field(default_factory=list)

    def notificar(self, registo: dict, assunto: str) -> None:
        self.avisos.append((registo, assunto))


@pytest.fixture
def mundo(sandbox, tmp_path, ledger_url):
    sandbox.admin("PUT", "pedidos/config", json={"analise_segundos": 0.3, "decisao_segundos": 0.4,
                                                 "decisao_automatica": "DEFERIDO"})
    d = Definicoes(home=tmp_path, ledger_url=ledger_url)   # SQLite, and PostgreSQL when the suite started one
    lig = LigacaoDireta.sandbox(sandbox.url, EE, "sandbox", retry=RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1))
    notificador = NotificadorFalso()
    p = Portas(definicoes=d, abrir_ledger=lambda: Ledger(d.url_do_ledger()), psi=lambda e: lig, fonte=FontePastaLocal(),
               notificador=notificador)
    yield p, notificador
    p.fechar()


def execucao(mes: str, **kw) -> Execucao:
    return Execucao(Employer(EE, "Exemplo", "psi_x", "file:///nada"), AnoMes.parse(mes), **kw)


def folha(p: Portas, mes: str, bonus: str) -> str:
    """A verified payroll snapshot of ``mes``: the worker's monthly bonus (natureza B) of ``bonus`` €."""
    ref = AnoMes.parse(mes)
    payload = {"anoMes": mes, "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": ref.primeiro_dia.isoformat(), "dataFim": ref.ultimo_dia.isoformat(), "natureza": "B",
         "remuneracao": Decimal(bonus), "diasTrabalho": 0}], "inatividades": []}]}
    h = uuid.uuid4().hex * 2
    p.ledger.folhas.registar(EE, mes, h, n_trabalhadores=1, n_remuneracoes=1, quality_ok=True, n_erros=0, n_avisos=0,
                             report_path="/tmp/r.html", payload_hash=payload_hash(payload),
                             payload_json=jsonexato.dumps(payload))
    return h


def enviado_e_apurado(sandbox, p: Portas, mes: str, *, confirmar: bool) -> None:
    """The month as the pipeline left it: values sent once (bonus 100.00), apurado, optionally confirmed."""
    ex = execucao(mes)
    folha(p, mes, "100.00")
    assert enviar_valores(ex, p).estado == "ENVIADO"
    sandbox.admin("POST", f"apuramento/{EE}/{mes}")
    if confirmar:
        with p.cliente(ex) as c:
            conf = c.confirmar(EE, mes)
        p.ledger.decisoes.registar(EE, mes, "CONFIRMADO", "automatica", data_confirmacao=conf.dataConfirmacao)
    obter_todos(ex, p)
    assert p.ledger.apuramentos.obter(EE, mes)["total_remuneracao_cent"] == 170000  # 1600 P + 100 B


def posts(sandbox, contem: str) -> list:
    return sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": contem})


def acompanhar_ate_decisao(ex, p, segundos: float = 10.0):
    fim = time.monotonic() + segundos
    while True:
        try:
            return pedidos.acompanhar_pedido(ex, p)
        except Repetivel:
            if time.monotonic() > fim:
                raise
            time.sleep(0.2)


def test_correction_in_time_goes_through_a_pedido_and_the_month_is_re_apurado_and_refreshed(sandbox, mundo):
    p, notificador = mundo
    mes = mes_antes(1)
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=True)
    folha(p, mes, "250.00")  # the payroll of the confirmed month changed

    # a re-send is refused, even with allow_correction: a closed month is corrected by a Pedido
    with pytest.raises(pedidos.MesFechado, match="Pedido"):
        enviar_valores(execucao(mes, permitir_correcao=True), p)
    assert len(posts(sandbox, "/valores-remuneracao/")) == 1

    [prop] = pedidos.propostas(ex, p)
    assert prop.bloqueia_envio and prop.dados["situacao"] == "NO_PRAZO"
    assert "100.00 € → 250.00 €" in prop.descricao and "no prazo" in prop.descricao

    r = pedidos.aplicar(ex, p, prop, aprovado_por="ana")
    assert r["estado"] == "CRIADO" and r["numero_pedido"] and not r["fora_de_prazo"]
    assert pedidos.aplicar(ex, p, prop, aprovado_por="ana")["estado"] == "JA_CRIADO"   # a re-run creates nothing
    assert len(posts(sandbox, "/eeaoc/pedido/")) == 1
    assert pedidos.propostas(ex, p) == []   # the Pedido exists: not proposed again while it is analysed

    with pytest.raises(Repetivel, match="em análise"):
        pedidos.acompanhar_pedido(ex, p)    # SUBMETIDO / EM_ANALISE
    linha = linha_do_employer(ex, p)       # the run's verdict: waiting for the Pedido, a correction
    assert linha["estado"] in ("PEDIDO_SUBMETIDO", "PEDIDO_EM_ANALISE") and linha["correcao"]
    assert linha["pedido_correcao"]["numero"] == r["numero_pedido"]
    res = acompanhar_ate_decisao(ex, p)
    assert (res.numero_pedido, res.estado, res.refrescado, res.fora_de_prazo) == (r["numero_pedido"], "DEFERIDO", True, False)
    # the month is refreshed as a correction: what depended on the old values is forgotten...
    assert p.ledger.apuramentos.obter(EE, mes) is None and p.ledger.apurados.do_mes(EE, mes) == []
    assert p.ledger.decisoes.obter(EE, mes) is None
    # ...and the rest of the run fetches the SS's new apuramento (re-run by the SS when it accepted the Pedido)
    assert obter_todos(ex, p).obtidos == 1
    assert p.ledger.apuramentos.obter(EE, mes)["total_remuneracao_cent"] == 185000  # 1600 P + 250 B
    [ap] = p.ledger.apurados.do_mes(EE, mes)
    assert ap["niss_trabalhador"] == TRAB
    assert linha_do_employer(ex, p)["estado"] == "CONFIRMACAO_POR_FAZER"   # the decision is asked again

    assert pedidos.acompanhar_pedido(ex, p).refrescado is False          # refreshed once
    assert enviar_valores(execucao(mes, permitir_correcao=True), p).estado == "VIA_PEDIDO"
    assert len(posts(sandbox, "/valores-remuneracao/")) == 1            # the valores were never re-sent
    assert pedidos.propostas(ex, p) == []                                # the SS now holds the payroll
    [row] = p.ledger.pedidos.do_mes(EE, mes)
    assert (row["estado"], row["estado_ss"], row["aprovado_por"]) == ("ACKNOWLEDGED", "DEFERIDO", "ana")
    assert any(a["servico"] == "criarPedido" and a["metodo"] == "POST" for a in p.ledger.auditoria.linhas(EE, mes))


def test_a_late_correction_is_flagged_to_the_operator_and_at_the_ss(sandbox, mundo):
    p, notificador = mundo
    mes = mes_antes(4)   # past M+2 (n.º 1), within 4 months of day 20 of M+1 (n.º 2); apurado, never confirmed
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=False)
    folha(p, mes, "250.00")
    [prop] = pedidos.propostas(ex, p)
    assert prop.dados["situacao"] == "FORA_DE_PRAZO" and prop.dados["fora_de_prazo"]
    assert "FORA DE PRAZO" in prop.descricao and "aceite por silêncio" in prop.descricao
    r = pedidos.aplicar(ex, p, prop)
    assert r["fora_de_prazo"] is True
    [(registo, assunto)] = [a for a in notificador.avisos if a[0]["tipo"] == "pedido_correcao"]
    assert registo["fora_de_prazo"] and "FORA DE PRAZO" in assunto and r["numero_pedido"] in assunto
    [no_ss] = sandbox.admin("GET", "pedidos")
    assert no_ss["foraDePrazo"] is True and no_ss["numeroPedido"] == r["numero_pedido"]
    assert acompanhar_ate_decisao(ex, p).fora_de_prazo
    # ...and in the finance report
    obter_todos(ex, p)
    _dados, html, _xlsx, _anexos = escrever_relatorio(ex, p)
    texto = html.read_text(encoding="utf-8")
    assert f"CORREÇÃO POR PEDIDO {r['numero_pedido']}" in texto and "FORA DE PRAZO" in texto


def test_a_correction_beyond_the_late_window_is_refused_and_nothing_is_sent(sandbox, mundo):
    p, _ = mundo
    mes = mes_antes(6)   # more than 4 months after day 20 of M+1
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=False)
    folha(p, mes, "250.00")
    with pytest.raises(pedidos.CorrecaoForaDoPrazo, match="requerimento"):
        pedidos.propostas(ex, p)
    with pytest.raises(pedidos.MesFechado):
        enviar_valores(execucao(mes, permitir_correcao=True), p)
    assert posts(sandbox, "/eeaoc/pedido/") == [] and len(posts(sandbox, "/valores-remuneracao/")) == 1
    # the SS refuses it too (art. 26.º n.º 3: only by requerimento with proof)
    with p.cliente(ex) as c, pytest.raises(E.PsiValidationError, match="Prazo de correção excedido"):
        Pedidos(c).criar(EE, {"anoMes": mes, "motivo": "CORRECAO", "trabalhadores": []})


def test_a_pedido_refused_by_the_ss_stops_the_employer_with_its_reason(sandbox, mundo):
    p, _ = mundo
    sandbox.admin("PUT", "pedidos/config", json={"decisao_automatica": None})
    mes = mes_antes(1)
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=True)
    folha(p, mes, "250.00")
    [prop] = pedidos.propostas(ex, p)
    numero = pedidos.aplicar(ex, p, prop)["numero_pedido"]
    sandbox.admin("POST", f"pedidos/{numero}/decisao", json={"estado": "INDEFERIDO", "fundamentacao": "Sem prova."})
    with pytest.raises(pedidos.PedidoIndeferido, match="Sem prova"):
        pedidos.acompanhar_pedido(ex, p)
    assert p.ledger.apuramentos.obter(EE, mes)["total_remuneracao_cent"] == 170000   # the month was not touched


def test_a_lost_answer_to_the_pedido_is_resolved_by_asking_the_ss(sandbox, mundo):
    p, _ = mundo
    mes = mes_antes(1)
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=True)
    folha(p, mes, "250.00")
    [prop] = pedidos.propostas(ex, p)
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "/eeaoc/pedido/", "mode": "lost_ack", "times": 1})
    r = pedidos.aplicar(ex, p, prop)   # the answer is lost; the Pedido is found at the SS, not created again
    assert r["estado"] == "CRIADO" and r["numero_pedido"]
    assert len(posts(sandbox, "/eeaoc/pedido/")) == 1
    assert pedidos.aplicar(ex, p, prop)["estado"] == "JA_CRIADO" and len(posts(sandbox, "/eeaoc/pedido/")) == 1


def test_a_pedido_left_unknown_by_a_crash_is_found_even_after_the_ss_accepted_it(sandbox, mundo):
    """The answer to the POST is lost and the look-up right after fails (the task retries); by the retry the SS has
    already accepted the Pedido, so what it holds equals the payroll — the retry still links that Pedido, never
    creates a second one, and the month is refreshed."""
    p, _ = mundo
    mes = mes_antes(1)
    ex = execucao(mes)
    enviado_e_apurado(sandbox, p, mes, confirmar=True)
    folha(p, mes, "250.00")
    [prop] = pedidos.propostas(ex, p)
    sandbox.admin("PUT", "faults", json=[
        {"method": "POST", "path": "/eeaoc/pedido/", "mode": "lost_ack", "times": 1},
        {"method": "GET", "path": "/eeaoc/pedido/", "mode": "error", "status": 503, "times": 3}])
    with pytest.raises(Repetivel, match="not \\(yet\\) visible"):
        pedidos.aplicar(ex, p, prop)
    [row] = p.ledger.pedidos.do_mes(EE, mes)
    assert row["estado"] == "UNKNOWN" and row["numero_pedido"] is None
    sandbox.admin("DELETE", "faults")
    time.sleep(1.0)   # analysed and decided meanwhile: the SS accepted it and re-ran the month
    with p.cliente(ex) as c:
        [item] = Pedidos(c).consultar(EE, ano_mes=mes)
    assert item.estado == "DEFERIDO"
    r = pedidos.aplicar(ex, p, prop)
    assert r["estado"] == "RETOMADO" and r["numero_pedido"]
    assert len(posts(sandbox, "/eeaoc/pedido/")) == 1
    res = acompanhar_ate_decisao(ex, p)
    assert res.refrescado and res.numero_pedido == r["numero_pedido"]
