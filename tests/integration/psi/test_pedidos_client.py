"""The Pedidos client (``ciclo.psi.pedidos.Pedidos``) against the sandbox over real HTTP: the six operations with
the typed (ASSUMED) models, sync and async; errors mapped like every operation; POSTs never retried."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ciclo.domain.periodo import AnoMes
from ciclo.psi import errors as E
from ciclo.psi import models as M
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.pedidos import Pedidos
from ciclo.psi.rest import AsyncPsiClient, PsiClient, RetryPolicy

EE, TRAB, EE_IND = "20000003116", "10000000001", "20000000108"
RAPIDO = RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1)


def cliente(sb, niss=EE):
    return PsiClient(resolver(sb.url), Credenciais(niss, password="sandbox"), retry=RAPIDO)


def corpo(mes: str, bonus: str) -> M.PedidoCorrecao:
    ref = AnoMes.parse(mes)
    return M.PedidoCorrecao(anoMes=mes, motivo="CORRECAO", fundamentacao="prémio corrigido", trabalhadores=[
        {"nissTrabalhador": TRAB, "remuneracoes": [{"dataInicio": ref.primeiro_dia, "dataFim": ref.ultimo_dia,
                                                    "natureza": "B", "remuneracao": Decimal(bonus), "diasTrabalho": 0}]}])


@pytest.fixture
def mes(sandbox):
    """Last month, sent (bonus 100.00) and apurado; Pedidos decided only by the admin."""
    sandbox.admin("PUT", "pedidos/config", json={"decisao_automatica": None, "analise_segundos": 30})
    m = str(AnoMes.de_data(datetime.now(ZoneInfo("Europe/Lisbon")).date()).anterior())
    with cliente(sandbox) as c:
        c.enviar_valores_remuneracao(EE, corpo(m, "100.00").model_dump(include={"anoMes", "trabalhadores"}))
    sandbox.admin("POST", f"apuramento/{EE}/{m}")
    return m


def test_the_six_operations_sync(sandbox, mes):
    with cliente(sandbox) as c:
        ped = Pedidos(c)
        assert {m.codigo for m in ped.motivos(EE)} >= {"CORRECAO", "ANULACAO"}
        criado = ped.criar(EE, corpo(mes, "250.00"))
        assert isinstance(criado, M.Pedido) and criado.em_curso and criado.foraDePrazo is False
        assert criado.trabalhadores[0].remuneracoes[0].remuneracao == Decimal("250.00")
        [item] = ped.consultar(EE, ano_mes=mes)
        assert item.numeroPedido == criado.numeroPedido and item.trabalhadores is None
        assert ped.atualizar(criado.numeroPedido, corpo(mes, "260.00"), niss_ee=EE).trabalhadores[0] \
            .remuneracoes[0].remuneracao == Decimal("260.00")
        anulado = ped.anular_valor_remuneracao(EE, criado.numeroPedido, M.AnulacaoValor(nissTrabalhador=TRAB, natureza="R"))
        assert [(a.nissTrabalhador, a.natureza) for a in anulado.anulacoes] == [(TRAB, "R")]
        assert ped.detalhe(criado.numeroPedido, niss_ee=EE).estado == "SUBMETIDO"
        with pytest.raises(E.PsiNotFound):
            ped.detalhe("0")
        with pytest.raises(E.PsiValidationError, match="pedido em curso"):
            ped.criar(EE, corpo(mes, "1.00"))
    with cliente(sandbox, EE_IND) as outro, pytest.raises(E.PsiForbiddenError):
        Pedidos(outro).consultar(EE)


def test_async_and_a_lost_answer_is_unknown_not_retried(sandbox, mes):
    async def correr():
        async with AsyncPsiClient(resolver(sandbox.url), Credenciais(EE, password="sandbox"), retry=RAPIDO) as c:
            return await Pedidos(c).motivos(EE)

    assert asyncio.run(correr())
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "/eeaoc/pedido/", "mode": "lost_ack", "times": 1})
    with cliente(sandbox) as c, pytest.raises(E.PsiOutcomeUnknown):
        Pedidos(c).criar(EE, corpo(mes, "250.00"))
    posts = sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": "/eeaoc/pedido/"})
    assert len(posts) == 1   # processed once, its answer lost; never retried by the client
