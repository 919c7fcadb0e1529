"""The sandbox's Pedidos (eeaoc/pedido/..., art. 26.º corrections) over real HTTP: auth and permissions, validation,
states, update and annulment while submitted, one Pedido in progress per month, the window, and the re-apuramento of
the month when one is accepted."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from ciclo.domain import jsonexato
from ciclo.domain.niss import completar
from ciclo.domain.periodo import AnoMes

EE, TRAB, PWD = "20000003116", "10000000001", "sandbox"
EE_IND = completar("2000000010")
P = "/ptss/rest/eeaoc/pedido"


def client(sb, niss=EE) -> httpx.Client:
    return httpx.Client(base_url=sb.url, auth=(niss, PWD), timeout=10)


def D(r):
    return jsonexato.loads(r.content)


def mes_passado() -> str:
    return str(AnoMes.de_data(datetime.now(ZoneInfo("Europe/Lisbon")).date()).anterior())


def valores(mes: str, bonus: str) -> dict:
    ref = AnoMes.parse(mes)
    return {"anoMes": mes, "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
        {"dataInicio": ref.primeiro_dia.isoformat(), "dataFim": ref.ultimo_dia.isoformat(), "natureza": "B",
         "remuneracao": float(bonus), "diasTrabalho": 0}]}]}


def apurado(sb, c, mes: str) -> dict:
    assert c.post(f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}", json=valores(mes, "100.00")).status_code == 200
    sb.admin("POST", f"apuramento/{EE}/{mes}")
    return D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/{mes}"))


def test_auth_permissions_and_validation(sandbox):
    mes = mes_passado()
    with httpx.Client(base_url=sandbox.url, timeout=10) as anon:
        assert anon.get(f"{P}/entidade-empregadora/{EE}/motivos").status_code == 401
    with client(sandbox) as c:
        assert [m["codigo"] for m in c.get(f"{P}/entidade-empregadora/{EE}/motivos").json()] == \
            ["CORRECAO", "SUPRIMENTO", "ANULACAO"]
        assert c.get(f"{P}/entidade-empregadora/{EE_IND}").status_code == 403
        assert c.get(f"{P}/entidade-empregadora/123").json()["message"] == "NISS entidade empregadora com formato inválido."
        r = c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "1")})
        assert r.json() == {"code": 400, "message": "Não existem valores apurados para o ano/mês indicado."}
        r = c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "OUTRO", **valores(mes, "1")})
        assert r.json()["message"] == "Motivo de pedido inválido: OUTRO"
        assert c.get(f"{P}/9999").json() == {"code": 404, "message": "Pedido não encontrado."}
    rq = sandbox.admin("GET", "requests", params={"path_contains": "/eeaoc/pedido/"})
    assert len(rq) == 7 and {x["status"] for x in rq} == {200, 400, 401, 403, 404}  # the request log covers them


def test_states_update_annulment_and_re_apuramento_on_acceptance(sandbox):
    sandbox.admin("PUT", "pedidos/config", json={"analise_segundos": 0.3, "decisao_segundos": 0.3,
                                                 "decisao_automatica": "DEFERIDO"})
    mes = mes_passado()
    with client(sandbox) as c:
        antes = apurado(sandbox, c, mes)
        assert antes["totalRemuneracao"] == Decimal("1700.00")
        r = D(c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "300.00")}))
        numero = r["numeroPedido"]
        assert (r["estado"], r["foraDePrazo"], r["anoMes"]) == ("SUBMETIDO", False, mes)
        # one Pedido in progress per month
        r2 = c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "1.00")})
        assert r2.json()["message"] == f"Existe um pedido em curso para o ano/mês indicado: {numero}."
        # updated and annulment recorded while SUBMETIDO
        up = D(c.put(f"{P}/{numero}", json={"motivo": "CORRECAO", **valores(mes, "250.00")}))
        assert up["trabalhadores"][0]["remuneracoes"][0]["remuneracao"] == Decimal("250.00")
        an = D(c.post(f"{P}/anular-valor-remuneracao/{EE}/{numero}", json={"nissTrabalhador": TRAB, "natureza": "R"}))
        assert an["anulacoes"] == [{"nissTrabalhador": TRAB, "natureza": "R"}]
        time.sleep(0.35)
        assert D(c.get(f"{P}/{numero}"))["estado"] == "EM_ANALISE"
        assert c.put(f"{P}/{numero}", json={"motivo": "CORRECAO", **valores(mes, "1.00")}).status_code == 400
        time.sleep(0.35)
        det = D(c.get(f"{P}/{numero}"))
        assert det["estado"] == "DEFERIDO" and det["dataDecisao"]
        [item] = D(c.get(f"{P}/entidade-empregadora/{EE}", params={"anoMes": mes}))
        assert item["numeroPedido"] == numero and "trabalhadores" not in item
        # the SS re-ran the month's apuramento with the Pedido's values
        depois = D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/{mes}"))
        assert (depois["estado"], depois["totalRemuneracao"]) == ("APURADO", Decimal("1850.00"))
        comps = D(c.get(f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}/comprovativo",
                        params={"anoMes": mes}))
        assert len(comps) == 2   # the accepted Pedido is the month's latest communication
        # decided: no further change
        assert c.post(f"{P}/anular-valor-remuneracao/{EE}/{numero}", json={"nissTrabalhador": TRAB}).status_code == 400
    with client(sandbox, EE_IND) as outro:
        assert outro.get(f"{P}/{numero}").status_code == 403


def test_refused_by_the_operator_of_the_sandbox_leaves_the_month(sandbox):
    sandbox.admin("PUT", "pedidos/config", json={"analise_segundos": 0, "decisao_automatica": None})
    mes = mes_passado()
    with client(sandbox) as c:
        apurado(sandbox, c, mes)
        numero = D(c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "9.00")}))["numeroPedido"]
        sandbox.admin("POST", f"pedidos/{numero}/decisao", json={"estado": "INDEFERIDO", "fundamentacao": "Sem prova."})
        det = D(c.get(f"{P}/{numero}"))
        assert (det["estado"], det["fundamentacaoDecisao"]) == ("INDEFERIDO", "Sem prova.")
        m = D(c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/{mes}"))
        assert m["totalRemuneracao"] == Decimal("1700.00")


def test_reset_restores_the_pedidos_defaults_and_empties_them(sandbox):
    sandbox.admin("PUT", "pedidos/config", json={"analise_segundos": 9, "decisao_automatica": None})
    mes = mes_passado()
    with client(sandbox) as c:
        apurado(sandbox, c, mes)
        assert c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "9.00")}).status_code == 200
    sandbox.reset()
    assert sandbox.admin("PUT", "pedidos/config", json={}) == {"analise_segundos": 1.0, "decisao_segundos": 2.0,
                                                               "decisao_automatica": "DEFERIDO", "hoje": None}
    assert sandbox.admin("GET", "pedidos") == []


@pytest.mark.parametrize("onde", ["pedidos/config", "config"])
def test_the_window_is_judged_on_the_configured_day(sandbox, onde):
    """``hoje`` in the Pedidos' config, or the sandbox's one clock (``PUT /_sandbox/config``) when the Pedidos have
    no day of their own: the day the SS judges the correction window on (a drill of a fixed month behaves the same
    whatever day it runs); null is the real date again."""
    mes = mes_passado()
    with client(sandbox) as c:
        apurado(sandbox, c, mes)
        sandbox.admin("PUT", onde, json={"hoje": "2040-01-01"})
        r = c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "9.00")})
        assert r.status_code == 400 and "Prazo de correção excedido" in r.text
        if onde == "config":
            # the Pedidos' own day, when set, is the one judged on
            sandbox.admin("PUT", "pedidos/config", json={"hoje": datetime.now(ZoneInfo("Europe/Lisbon")).date().isoformat()})
        else:
            sandbox.admin("PUT", onde, json={"hoje": None})
        assert c.post(f"{P}/entidade-empregadora/{EE}", json={"motivo": "CORRECAO", **valores(mes, "9.00")}).status_code == 200
    with pytest.raises(httpx.HTTPStatusError, match="400"):
        sandbox.admin("PUT", onde, json={"hoje": "amanhã"})
