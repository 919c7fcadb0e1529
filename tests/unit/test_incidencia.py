"""Issue 13, item 1: only the part subject to contributions is declared; limits are dated data with sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ciclo.domain.incidencia import (LimitesEmFalta, ParteSujeitaEmFalta, ParteSujeitaIncoerente, incidencia,
                                     limites_refeicao)
from ciclo.domain.niss import completar
from ciclo.payroll import load_payroll, to_valores_remuneracao
from ciclo.payroll.incidencia import bruto_isento_sujeito
from ciclo.quality import check_payroll
from ciclo.reconciliacao import calcular_interno, internos_da_folha
from tests.unit.payroll.test_loader import ANO_MES, _pasta

D = Decimal


@pytest.mark.parametrize("dia, dinheiro, cartao", [
    (date(2022, 10, 1), "5.20", "8.32"),   # Portaria 280/2022
    (date(2023, 3, 31), "5.20", "8.32"),
    (date(2023, 4, 1), "6.00", "9.60"),    # Portaria 107-A/2023
    (date(2024, 12, 31), "6.00", "9.60"),
    (date(2025, 1, 1), "6.00", "10.20"),   # OE 2025: +70 % in vouchers
    (date(2026, 1, 1), "6.15", "10.46"),   # Portaria 51-B/2026/1
])
def test_limites_datados_com_fonte(dia, dinheiro, cartao):
    lim = limites_refeicao(dia)
    assert (lim.dinheiro_dia, lim.cartao_dia) == (D(dinheiro), D(cartao))
    assert "Portaria" in lim.fonte or "Lei" in lim.fonte


def test_antes_dos_limites_registados_e_erro_claro():
    with pytest.raises(LimitesEmFalta, match="limites.yaml"):
        limites_refeicao(date(2022, 9, 30))


def test_depois_de_confirmado_ate_os_ultimos_limites_em_vigor_com_aviso():
    """After ``confirmado_ate`` (2026-12-31): the last published figures, still in force, flagged as not confirmed;
    up to that day, no flag."""
    assert limites_refeicao(date(2026, 12, 1)).nao_confirmado is None
    lim = limites_refeicao(date(2027, 1, 1))
    assert (lim.dinheiro_dia, lim.cartao_dia) == (D("6.15"), D("10.46"))
    assert "confirmados até 2026-12-31" in lim.nao_confirmado and "Portaria 51-B/2026/1" in lim.nao_confirmado
    # the line is computed with them, and carries the warning; within the confirmed range it carries none
    i = incidencia("R", D("211.20"), date(2027, 1, 1), dias=22, pagamento_refeicao="D")
    assert (i.isento, i.sujeito) == (D("135.30"), D("75.90")) and i.aviso == lim.nao_confirmado
    assert incidencia("R", D("211.20"), date(2026, 12, 1), dias=22, pagamento_refeicao="D").aviso is None
    # a subject part given by the payroll is checked against the same limits, so the warning goes with it
    assert incidencia("R", D("211.20"), date(2027, 1, 1), dias=22, pagamento_refeicao="D",
                      valor_sujeito=D("80.00")).aviso == lim.nao_confirmado


def test_refeicao_isenta_ate_ao_limite_por_forma_de_pagamento():
    dia = date(2025, 9, 1)
    # 9.60/day by card, 22 days: within 10.20 → nothing subject (the demo's case)
    assert incidencia("R", D("211.20"), dia, dias=22, pagamento_refeicao="C").sujeito == D("0.00")
    # the same in cash: limit 6.00 → 3.60 × 22 subject
    i = incidencia("R", D("211.20"), dia, dias=22, pagamento_refeicao="D")
    assert (i.bruto, i.isento, i.sujeito) == (D("211.20"), D("132.00"), D("79.20"))
    # 11.00 by card: 0.80 × 22 subject
    assert incidencia("R", D("242.00"), dia, dias=22, pagamento_refeicao="C").sujeito == D("17.60")
    with pytest.raises(ParteSujeitaEmFalta):
        incidencia("R", D("132.00"), dia, dias=22)
    with pytest.raises(ParteSujeitaEmFalta):
        incidencia("R", D("132.00"), dia, dias=22, pagamento_refeicao="X")


def test_parte_sujeita_da_folha_usada_e_verificada():
    dia = date(2025, 9, 1)
    assert incidencia("R", D("242.00"), dia, dias=22, pagamento_refeicao="C", valor_sujeito=D("20.00")).sujeito == D("20.00")
    with pytest.raises(ParteSujeitaIncoerente, match="abaixo do mínimo legal"):
        incidencia("R", D("242.00"), dia, dias=22, pagamento_refeicao="C", valor_sujeito=D("10.00"))
    assert incidencia("A", D("100.00"), dia, valor_sujeito=D("25.00")).isento == D("75.00")
    with pytest.raises(ParteSujeitaEmFalta, match="valor_sujeito"):
        incidencia("D", D("100.00"), dia)
    with pytest.raises(ParteSujeitaIncoerente):
        incidencia("A", D("100.00"), dia, valor_sujeito=D("100.01"))
    with pytest.raises(ParteSujeitaIncoerente, match="totalidade"):
        incidencia("B", D("100.00"), dia, valor_sujeito=D("50.00"))
    assert incidencia("2", D("100.00"), dia).sujeito == D("100.00")


def test_caso_do_issue_base_1000_mais_r_a_d_h_2(tmp_path):
    """Base 1000 plus R, A, D, H, 2 at 100 each: today sent as 1500 (obligation 521.25). Only the subject parts
    are declared: R within the cash limit, A and D with no subject part, H outside this declaration → 1100."""
    cab = "niss_trabalhador,natureza,data_inicio,data_fim,valor,dias,pagamento_refeicao,valor_sujeito\n"
    linhas = "".join(f"12345678910,{n},2025-09-01,2025-09-30,{v},{d},{pg},{vs}\n" for n, v, d, pg, vs in (
        ("P", "1000.00", 30, "", ""), ("R", "100.00", 20, "D", ""), ("A", "100.00", 0, "", "0.00"),
        ("D", "100.00", 0, "", "0.00"), ("H", "100.00", 0, "", ""), ("2", "100.00", 0, "", "")))
    contratos = ("niss_trabalhador,modalidade_contrato,inicio_contrato,fim_contrato,profissao,remuneracao_base,"
                 "motivo_contrato,inicio_vinculo\n12345678910,A,2020-01-01,,41101,1000.00,,2020-01-01\n")
    ee = completar("2000000001")
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": cab + linhas, "contratos.csv": contratos}), ANO_MES, ee)
    res = check_payroll(p, hoje=date(2025, 10, 5))
    assert res.ok and set(res.counts_by_rule) == {"DQ-NAT-02"}
    corpo = to_valores_remuneracao(p)
    assert [(r["natureza"], r["remuneracao"]) for r in corpo["trabalhadores"][0]["remuneracoes"]] == [("2", D("100.00"))]
    (interno,) = internos_da_folha(p)
    assert interno.remuneracoes == {"P": D("1000.00"), "2": D("100.00")}
    tot = calcular_interno(interno, date(2025, 9, 1))
    assert tot["total_remuneracao_cent"] == 110000 and tot["obrigacao_cent"] == 38225  # 121.00 + 261.25
    por_nat = {r["natureza"]: (r["bruto"], r["isento"], r["sujeito"]) for r in bruto_isento_sujeito(p)}
    assert por_nat["R"] == (D("100.00"), D("100.00"), D("0.00")) and "H" not in por_nat
    assert por_nat["A"] == (D("100.00"), D("100.00"), D("0.00")) and por_nat["2"][2] == D("100.00")


def test_refeicao_sem_forma_de_pagamento_bloqueia(tmp_path):
    ee = completar("2000000001")
    p = load_payroll(_pasta(tmp_path), ANO_MES, ee)  # R 132.00, 22 days, no payment form nor subject part
    res = check_payroll(p, hoje=date(2025, 10, 5))
    v = res.violations[res.violations["rule_id"] == "DQ-ISE-01"]
    assert not res.ok and v["linha"].tolist() == [3] and v["coluna"].tolist() == ["pagamento_refeicao"]
