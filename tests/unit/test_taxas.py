"""Issue 13, item 9: rates versioned by date of effect, the missing enquadramentos, reductions (totalReducao) and
the art. 13.º-A n.º 2 timing of a change of enquadramento."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ciclo.domain import taxas
from ciclo.domain.periodo import AnoMes
from ciclo.reconciliacao import TrabalhadorInterno, calcular_interno
from ciclo.sandbox import engine

D = Decimal


def test_enquadramentos_em_falta_com_fonte():
    t = taxas.taxa("DOMESTICO_SEM_DESEMPREGO", date(2025, 9, 1))
    assert (t.contribuicao, t.cotizacao) == (D("18.9"), D("9.4")) and "121.º" in t.fonte
    assert taxas.taxa("Serviço doméstico sem proteção no desemprego", date(2025, 9, 1)) is t
    d = taxas.taxa("DEFICIENCIA", date(2025, 9, 1))
    assert (d.contribuicao, d.cotizacao) == (D("12.5"), D("11")) and "confirmar" in d.fonte
    assert all(t.fonte for t in taxas.tabela_em(date(2025, 9, 1)).values())


def test_versao_em_vigor_pela_data(monkeypatch):
    antiga = {"REGIME_GERAL": taxas.Taxa("REGIME_GERAL", "Regime geral", D("23.75"), D("11"), date(2011, 1, 1))}
    nova = {"REGIME_GERAL": taxas.Taxa("REGIME_GERAL", "Regime geral", D("23.00"), D("11"), date(2027, 1, 1))}
    monkeypatch.setattr(taxas, "_versoes", lambda: ((date(2011, 1, 1), antiga), (date(2027, 1, 1), nova)))
    assert taxas.taxa("REGIME_GERAL", date(2026, 12, 1)).contribuicao == D("23.75")
    assert taxas.taxa("REGIME_GERAL", date(2027, 1, 1)).contribuicao == D("23.00")
    with pytest.raises(LookupError):
        taxas.tabela_em(date(2010, 12, 31))


def test_reducao_primeiro_emprego_interno_e_sandbox():
    """1000.00 at the regime geral with a 50 % reduction of the employer's part: 110.00 + 237.50 − 118.75."""
    r = taxas.reducao("PRIMEIRO_EMPREGO", date(2025, 9, 1))
    assert r.percentagem == D("50") and "72/2017" in r.fonte
    with pytest.raises(taxas.ReducaoDesconhecida):
        taxas.reducao("PRIMEIRO_EMPREGO", date(2017, 7, 1))
    tot = calcular_interno(TrabalhadorInterno("12345678910", "REGIME_GERAL", {"P": D("1000.00")},
                                              reducao="PRIMEIRO_EMPREGO"), date(2025, 9, 1))
    assert (tot["cotizacao_cent"], tot["contribuicao_cent"], tot["obrigacao_cent"]) == (11000, 23750, 22875)
    res = engine.apurar_trabalhador(
        AnoMes(2025, 9), "12345678910", [engine.Vinculo(date(2020, 1, 1), None, "REGIME_GERAL", "PRIMEIRO_EMPREGO")],
        [engine.Contrato(date(2020, 1, 1), None, D("1000.00"))], None, date(2025, 10, 27))
    assert (res.total_contribuicao, res.total_reducao, res.total_obrigacao) == (D("347.50"), D("118.75"), D("228.75"))
    assert res.json["contribuicoes"][0]["obrigacao"] == D("228.75")


def test_mudanca_de_enquadramento_a_meio_do_mes_so_no_mes_seguinte():
    """Art. 13.º-A n.º 2: from 15 Sep a pensioner (16.4 % + 7.5 %); September still at the regime geral."""
    vs = [engine.Vinculo(date(2020, 1, 1), date(2025, 9, 14), "REGIME_GERAL"),
          engine.Vinculo(date(2025, 9, 15), None, "PENSIONISTA_VELHICE")]
    cs = [engine.Contrato(date(2020, 1, 1), None, D("1500.00"))]
    set_ = engine.apurar_trabalhador(AnoMes(2025, 9), "12345678910", vs, cs, None, date(2025, 10, 27))
    assert [c["enquadramento"] for c in set_.json["contribuicoes"]] == ["Regime geral"]
    assert set_.total_remuneracao == D("1500.00") and set_.total_obrigacao == D("521.25")
    out = engine.apurar_trabalhador(AnoMes(2025, 10), "12345678910", vs[1:], cs, None, date(2025, 11, 25))
    assert [c["enquadramento"] for c in out.json["contribuicoes"]] == ["Pensionistas de velhice em atividade"]
    assert out.total_obrigacao == D("358.50")  # 112.50 + 246.00
    assert taxas.enquadramento_do_mes("PENSIONISTA_VELHICE", AnoMes(2025, 9), "REGIME_GERAL", date(2025, 9, 15)) == "REGIME_GERAL"
    assert taxas.enquadramento_do_mes("PENSIONISTA_VELHICE", AnoMes(2025, 9), "REGIME_GERAL", date(2025, 9, 1)) == "PENSIONISTA_VELHICE"
