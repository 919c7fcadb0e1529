"""Two executions of the same month at once (two runs, a ``dags test`` beside a deployment, a zombie): exactly one
POST per write, on SQLite and PostgreSQL. Each execution has its own ledger connection, as two workers would."""

from __future__ import annotations

import threading
import time

import pytest

from ciclo.app import erros
from ciclo.app.configuracao import Definicoes
from ciclo.app.envio import enviar_valores
from ciclo.app.portas import Portas
from ciclo.ledger import Ledger
from tests.unit.app.conftest import EE, MES, PsiFalsa, execucao, payload, snapshot_verificado


class PsiLenta(PsiFalsa):
    def enviar_valores_remuneracao(self, niss_ee, payload):
        time.sleep(0.5)  # the POST is in flight while the other execution arrives
        return super().enviar_valores_remuneracao(niss_ee, payload)


def test_two_concurrent_executions_send_the_month_once(ledger_url, tmp_path):
    from ciclo.app.configuracao import Employer

    psi = PsiLenta()
    d = Definicoes(home=tmp_path, ledger_url=ledger_url)

    def portas():
        return Portas(definicoes=d, abrir_ledger=lambda: Ledger(ledger_url), psi=lambda e: psi, fonte=None)

    emp = Employer(EE, "Exemplo", "psi_x", "file:///nada")
    p0 = portas()
    snapshot_verificado(p0, payload())
    resultados, erros_vistos = [], []

    def execucao_concorrente():
        p = portas()
        try:
            resultados.append(enviar_valores(execucao(emp), p).estado)
        except erros.Repetivel as exc:
            erros_vistos.append(str(exc))
        finally:
            p.fechar()

    ts = [threading.Thread(target=execucao_concorrente) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert psi.posts("valores-remuneracao") == 1
    assert resultados == ["ENVIADO"] and len(erros_vistos) == 1
    assert "being done by another execution" in erros_vistos[0]
    # the second execution's retry finds the month sent
    assert enviar_valores(execucao(emp), p0).estado == "JA_ENVIADO" and psi.posts("valores-remuneracao") == 1
    assert [s["estado"] for s in p0.ledger.submissoes.do_mes(EE, MES)] == ["ACKNOWLEDGED"]
    p0.fechar()


def test_an_expired_lease_of_a_dead_holder_is_taken_over(ledger_url):
    lg = Ledger(ledger_url)
    lg.concessoes.tomar(EE, MES, "confirmar", "morto:1", segundos=-1)  # already expired
    lg.concessoes.tomar(EE, MES, "confirmar", "vivo:2", segundos=60)
    from ciclo.ledger.repositorios import ConcessaoOcupada

    with pytest.raises(ConcessaoOcupada, match="vivo:2"):
        lg.concessoes.tomar(EE, MES, "confirmar", "outro:3", segundos=60)
    lg.concessoes.largar(EE, MES, "confirmar", "vivo:2")
    lg.concessoes.tomar(EE, MES, "confirmar", "outro:3", segundos=60)
    lg.dispose()
