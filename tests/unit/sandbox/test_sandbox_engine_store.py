"""Sandbox engine and store in-process: contract change mid-month, SoapBackend methods, internal-error shape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi import APIRouter, Request, Response
from fastapi.testclient import TestClient

from ciclo.domain.periodo import AnoMes
from ciclo.sandbox import engine
from ciclo.sandbox.app import create_app
from ciclo.sandbox.store import Store

EE, TRAB = "20000003116", "10000000001"


def test_contract_change_mid_month_prorates_by_days_under_each_contract():
    ref = AnoMes(2025, 9)
    res = engine.apurar_trabalhador(
        ref, TRAB, [engine.Vinculo(date(2022, 6, 6), None, "REGIME_GERAL")],
        [engine.Contrato(date(2022, 6, 6), None, Decimal("1500.00")),
         engine.Contrato(date(2025, 9, 16), None, Decimal("1800.00"), Decimal("30.00"))],
        None, date(2025, 10, 25))
    ps = [(r["dataInicio"], r["dataFim"], r["remuneracao"], r["diasTrabalho"]) for r in res.json["remuneracoes"]]
    # 1..15 Sep under the old contract (15 days), 16..30 under the new one (15 days)
    assert ps == [("2022-06-06", "2025-09-15", Decimal("750.00"), Decimal("15.0")),
                  ("2025-09-16", None, Decimal("915.00"), Decimal("15.0"))]
    assert res.total_remuneracao == Decimal("1665.00")
    assert res.total_contribuicao == Decimal("183.15") + Decimal("395.44")  # 11 % and 23.75 % of 1665.00


def test_no_vinculo_in_month_gives_none_and_february_is_30_days():
    v = [engine.Vinculo(date(2025, 3, 1), None, "Regime geral")]
    c = [engine.Contrato(date(2025, 3, 1), None, Decimal("1000"))]
    assert engine.apurar_trabalhador(AnoMes(2025, 2), TRAB, v, c, None, date(2025, 3, 25)) is None
    v = [engine.Vinculo(date(2020, 1, 1), None, "Regime geral")]
    c = [engine.Contrato(date(2020, 1, 1), None, Decimal("1000"))]
    r = engine.apurar_trabalhador(AnoMes(2025, 2), TRAB, v, c, None, date(2025, 3, 25))
    assert r.json["remuneracoes"][0]["diasTrabalho"] == Decimal("30.0") and r.total_remuneracao == Decimal("1000.00")


def test_soap_backend_protocol_and_registered_contract_used_by_apuramento(tmp_path):
    st = Store(str(tmp_path / "s.sqlite3"))
    assert st.vinculos(EE, TRAB) == [(date(2022, 6, 6), None)]
    cs = st.contratos(EE, TRAB)
    assert len(cs) == 1 and cs[0]["modalidade_contrato"] == "A" and cs[0]["remuneracao_base"] == Decimal("1600.00")
    assert cs[0]["inicio_contrato"] == date(2022, 6, 6) and cs[0]["muito_curta_duracao"] is False
    assert st.foi_trabalhador(EE, TRAB) and not st.foi_trabalhador(EE, "10000000002")
    st.registar_contrato(EE, TRAB, {"modalidade_contrato": "B", "prestacao_trabalho": "P", "inicio_contrato": date(2025, 10, 11),
                                    "fim_contrato": None, "profissao": "41101", "remuneracao_base": Decimal("900.00"),
                                    "diuturnidades": None, "percentagem_trabalho": Decimal("50"), "horas_trabalho": Decimal("20"),
                                    "dias_trabalho": Decimal("10"), "motivo_contrato": None, "muito_curta_duracao": False})
    assert [c["modalidade_contrato"] for c in st.contratos(EE, TRAB)] == ["A", "B"]
    assert st.contratos_soap(EE)[0]["contrato"]["remuneracao_base"] == Decimal("900.00")
    st.apurar(EE, "202510")
    import json
    w = json.loads(st.apurado_trabalhador(EE, "202510", TRAB), parse_float=Decimal)
    # 1..10 Oct: 1600/30×10 = 533.33; 11..31 Oct is 21 calendar days but the month is capped at 30 days:
    # 20 days of 900/30 = 600.00
    assert [r["remuneracao"] for r in w["remuneracoes"]] == [Decimal("533.33"), Decimal("600.00")]
    assert [r["diasTrabalho"] for r in w["remuneracoes"]] == [Decimal("10.0"), Decimal("20.0")]
    st.close()


def test_internal_error_is_json_without_traceback(tmp_path, monkeypatch):
    st = Store(str(tmp_path / "s.sqlite3"))
    monkeypatch.setattr(st, "avisos", lambda ee: 1 / 0)
    with TestClient(create_app(st), raise_server_exceptions=False) as c:
        r = c.get(f"/ptss/rest/eeaoc/avisos/{EE}", auth=(EE, "sandbox"))
        assert (r.status_code, r.json()) == (500, {"code": 500, "message": "Erro interno do servidor"})
        r = c.put("/ptss/rest/eeaoc/avisos/" + EE, auth=(EE, "sandbox"))
        assert (r.status_code, r.json()["code"]) == (405, 405)


def test_soap_router_is_mounted_behind_auth_faults_and_log(tmp_path, monkeypatch):
    """With a stand-in ``ciclo.sandbox.soap`` (the real one is written separately): the router is mounted with the
    store as backend, its auth goes through the store, and faults/request log cover the SOAP route."""
    import sys
    import types

    fake = types.ModuleType("ciclo.sandbox.soap")

    def make_soap_router(backend):
        r = APIRouter()

        @r.post("/ws/contrato/v1/alterarContratoTrabalho")
        async def alterar(request: Request):
            ee = backend.autenticar(request)
            return Response(f"<ok ee='{ee}' vinculos='{len(backend.vinculos(ee, TRAB))}'/>", media_type="text/xml")

        return r

    fake.make_soap_router = make_soap_router
    monkeypatch.setitem(sys.modules, "ciclo.sandbox.soap", fake)
    st = Store(str(tmp_path / "s.sqlite3"))
    with TestClient(create_app(st)) as c:
        url = "/ws/contrato/v1/alterarContratoTrabalho"
        r = c.post(url, content=b"<x/>", auth=(EE, "sandbox"))
        assert (r.status_code, r.text) == (200, "<ok ee='20000003116' vinculos='1'/>")
        assert c.post(url, content=b"<x/>", auth=(EE, "bad")).status_code == 401
        c.put("/_sandbox/faults", json={"path": "/ws/contrato/", "mode": "error", "status": 503, "times": 1})
        assert c.post(url, content=b"<x/>", auth=(EE, "sandbox")).status_code == 503
        log = c.get("/_sandbox/requests", params={"path_contains": "/ws/contrato/"}).json()
        assert [(x["status"], x["niss"]) for x in log] == [(200, EE), (401, None), (503, None)]
