"""Issue 13, items 5–8: one 30-day arithmetic (ciclo.domain.periodo) for the sandbox's apuramento and the internal
totals; concurrent contracts; overlapping absences; a ceased open-ended worker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.domain.niss import completar
from ciclo.domain.periodo import AnoMes, dias_base30, dias_trabalho_e_inatividade, limitar_a_30
from ciclo.payroll import load_payroll
from ciclo.quality import check_payroll
from ciclo.reconciliacao import internos_da_folha
from ciclo.sandbox import engine
from tests.unit.payroll.test_loader import C_CAB, R_CAB, T_CAB, _pasta

D = Decimal
TRAB = "12345678910"
RG = "REGIME_GERAL"


def _apurar(ref, vinculos, contratos, inatividades=()):
    comunicado = {"remuneracoes": [], "inatividades": [
        {"dataInicio": a.isoformat(), "dataFim": b.isoformat(), "motivo": "DOENCA"} for a, b in inatividades]}
    return engine.apurar_trabalhador(ref, TRAB, vinculos, contratos, comunicado, date(2030, 1, 25))


def _ps(res):
    return [(r["remuneracao"], r["diasTrabalho"], r["diasInatividade"]) for r in res.json["remuneracoes"]]


def test_periodos_que_cobrem_o_mes_somam_30():
    assert dias_base30(date(2025, 2, 1), date(2025, 2, 14)) + dias_base30(date(2025, 2, 15), date(2025, 2, 28)) == 30
    assert dias_base30(date(2024, 2, 1), date(2024, 2, 14)) + dias_base30(date(2024, 2, 15), date(2024, 2, 29)) == 30
    assert dias_base30(date(2025, 1, 1), date(2025, 1, 15)) + dias_base30(date(2025, 1, 16), date(2025, 1, 31)) == 30
    assert dias_base30(date(2025, 1, 31), date(2025, 1, 31)) == 1  # admitted on the 31st: one day
    assert limitar_a_30([30, 30]) == [30, 0] and limitar_a_30([20, 15], 0) == [20, 10]


def test_fevereiro_mudanca_a_meio_paga_30_dias():
    """Item 5: a mid-month change in February with an unchanged salary pays 1500, not 1400 (14 + 14)."""
    res = _apurar(AnoMes(2025, 2), [engine.Vinculo(date(2020, 1, 1), None, RG)],
                  [engine.Contrato(date(2020, 1, 1), None, D("1500.00")),
                   engine.Contrato(date(2025, 2, 15), None, D("1500.00"))])
    assert _ps(res) == [(D("700.00"), D("14.0"), D("0.0")), (D("800.00"), D("16.0"), D("0.0"))]
    assert res.total_remuneracao == D("1500.00")


def test_ausencia_dias_2_a_31_deixa_um_dia():
    """Item 5: absent on 2–31 of a 31-day month, day 1 was worked: 1 day, 1500/30 = 50.00."""
    assert dias_trabalho_e_inatividade(date(2025, 1, 1), date(2025, 1, 31), [(date(2025, 1, 2), date(2025, 1, 31))]) == (1, 29)
    res = _apurar(AnoMes(2025, 1), [engine.Vinculo(date(2020, 1, 1), None, RG)],
                  [engine.Contrato(date(2020, 1, 1), None, D("1500.00"))], [(date(2025, 1, 2), date(2025, 1, 31))])
    assert _ps(res) == [(D("50.00"), D("1.0"), D("29.0"))]


def test_dois_contratos_simultaneos_ambos_pagos_dias_limitados_a_30():
    """Item 6: two vínculos at once — 1500 + 500 = 2000 (not 500); days 30 + 0 (art. 70.º n.º 5 caps the days)."""
    res = _apurar(AnoMes(2025, 9), [engine.Vinculo(date(2020, 1, 1), None, RG), engine.Vinculo(date(2025, 9, 1), None, RG)],
                  [engine.Contrato(date(2020, 1, 1), None, D("1500.00")), engine.Contrato(date(2025, 9, 1), None, D("500.00"))])
    assert _ps(res) == [(D("1500.00"), D("30.0"), D("0.0")), (D("500.00"), D("0.0"), D("0.0"))]
    assert res.total_remuneracao == D("2000.00")


def test_inatividades_sobrepostas_contam_uma_vez():
    """Item 7: 10–12 and 11–13 are 4 days of inactivity, not 6."""
    res = _apurar(AnoMes(2025, 9), [engine.Vinculo(date(2020, 1, 1), None, RG)],
                  [engine.Contrato(date(2020, 1, 1), None, D("1500.00"))],
                  [(date(2025, 9, 10), date(2025, 9, 12)), (date(2025, 9, 11), date(2025, 9, 13))])
    assert _ps(res) == [(D("1300.00"), D("26.0"), D("4.0"))]


def _export(tmp_path, contratos, remuneracoes, inatividades=None):
    ficheiros = {"trabalhadores.csv": T_CAB + f"{TRAB},Ana Simões,REGIME_GERAL\n", "contratos.csv": contratos,
                 "remuneracoes.csv": remuneracoes}
    if inatividades is not None:
        ficheiros["inatividades.csv"] = "niss_trabalhador,data_inicio,data_fim,motivo\n" + inatividades
    p = load_payroll(_pasta(tmp_path, **ficheiros), "202509", completar("2000000001"))
    return p, check_payroll(p, hoje=date(2025, 10, 5))


def test_quality_e_internos_inatividades_sobrepostas(tmp_path):
    p, res = _export(tmp_path, C_CAB + f"{TRAB},A,2020-01-01,,41101,1500.00,,2020-01-01\n",
                     R_CAB + f"{TRAB},P,2025-09-01,2025-09-30,1300.00,26\n",
                     f"{TRAB},2025-09-10,2025-09-12,DOENCA\n{TRAB},2025-09-11,2025-09-13,DOENCA\n")
    v = res.violations[res.violations["rule_id"] == "DQ-INA-02"]
    assert v["linha"].tolist() == [3] and not res.ok
    assert "DQ-DIAS-03" not in set(res.violations["rule_id"])  # 26 + 4 = 30
    (interno,) = internos_da_folha(p)
    assert interno.dias_inatividade == D(4) and interno.dias_trabalho == D(26)


def test_quality_dois_contratos_simultaneos(tmp_path):
    """Item 6: the base-salary check matches each P line with its own contract; 30 + 30 days on concurrent
    contracts are not 60 days."""
    c = C_CAB + f"{TRAB},A,2020-01-01,,41101,1500.00,,2020-01-01\n{TRAB},A,2025-09-01,,41101,500.00,,2025-09-01\n"
    r = R_CAB + f"{TRAB},P,2025-09-01,2025-09-30,500.00,30\n{TRAB},P,2025-09-01,2025-09-30,1500.00,30\n"
    p, res = _export(tmp_path, c, r)
    assert res.ok, res.violations[["rule_id", "mensagem"]].to_dict("records")
    (interno,) = internos_da_folha(p)
    assert interno.remuneracoes == {"P": D("2000.00")} and interno.dias_trabalho == D(30)


def test_trabalhador_cessado_sem_termo_nao_bloqueia(tmp_path):
    """Item 8: a ceased open-ended worker (vínculo ended, contract without end date) is normal."""
    cab = C_CAB.rstrip("\n") + ",fim_vinculo\n"
    p, res = _export(tmp_path, cab + f"{TRAB},A,2020-01-01,,41101,1500.00,,2020-01-01,2025-09-15\n",
                     R_CAB + f"{TRAB},P,2025-09-01,2025-09-15,750.00,15\n")
    assert res.ok, res.violations[["rule_id", "mensagem"]].to_dict("records")
