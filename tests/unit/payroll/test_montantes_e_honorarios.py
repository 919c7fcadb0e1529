"""Issue 13, items 4 and 2: "1.500" is fifteen hundred or an error (never 1.5); honorários (H) are not declared."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.domain.niss import completar
from ciclo.payroll import load_payroll, to_valores_remuneracao
from ciclo.quality import check_payroll
from ciclo.reconciliacao import internos_da_folha
from tests.unit.payroll.test_loader import ANO_MES, _pasta

HOJE = date(2025, 10, 5)
NISS_EE = completar("2000000001")  # a valid check digit (the spec's 20000003116 fails it: DQ-NISS-02)
T_PT = "niss_trabalhador;nome;enquadramento\n12345678910;Ana Simões;REGIME_GERAL\n"
C_PT = ("niss_trabalhador;modalidade_contrato;inicio_contrato;fim_contrato;profissao;remuneracao_base;motivo_contrato;"
        "inicio_vinculo\n12345678910;A;2020-01-01;;41101;1.600;;2020-01-01\n")
R_CAB_PT = "niss_trabalhador;natureza;data_inicio;data_fim;valor;dias\n"


def _regras(r):
    return set(r.violations["rule_id"]) if len(r.violations) else set()


def test_ponto_e_virgula_sem_virgulas_1500_e_mil_e_quinhentos(tmp_path):
    r = R_CAB_PT + "12345678910;P;2025-09-01;2025-09-30;1.600;30\n12345678910;B;2025-09-01;2025-09-30;1.500;0\n"
    p = load_payroll(_pasta(tmp_path, **{"trabalhadores.csv": T_PT, "contratos.csv": C_PT, "remuneracoes.csv": r}),
                     ANO_MES, NISS_EE)
    assert p.load_issues == []
    assert p.remuneracoes["valor"].tolist() == [Decimal("1600"), Decimal("1500")]
    assert p.contratos["remuneracao_base"].tolist() == [Decimal("1600")]
    res = check_payroll(p, hoje=HOJE)
    assert res.ok, res.violations.to_dict("records")
    linhas = to_valores_remuneracao(p)["trabalhadores"][0]["remuneracoes"]
    assert [x["remuneracao"] for x in linhas] == [Decimal("1500.00")]


def test_1500_em_ficheiro_com_ponto_decimal_e_erro_nunca_1_5(tmp_path):
    # "," file: 1.500 cannot be a thousands group of a decimal-comma file; three decimals → blocked.
    r = ("niss_trabalhador,natureza,data_inicio,data_fim,valor,dias\n"
         "12345678910,P,2025-09-01,2025-09-30,1600.00,30\n12345678910,B,2025-09-01,2025-09-30,1.500,0\n")
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, NISS_EE)
    res = check_payroll(p, hoje=HOJE)
    assert not res.ok
    v = res.violations[res.violations["rule_id"] == "DQ-VAL-02"]
    assert v["linha"].tolist() == [3] and v["valor"].tolist() == ["1.500"]
    assert "milhares" in v["mensagem"].iloc[0]


def test_1500_em_ponto_e_virgula_com_outros_pontos_decimais_e_erro(tmp_path):
    r = R_CAB_PT + "12345678910;P;2025-09-01;2025-09-30;1600.00;30\n12345678910;B;2025-09-01;2025-09-30;1.500;0\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, NISS_EE)
    res = check_payroll(p, hoje=HOJE)
    assert "DQ-VAL-02" in _regras(res) and not res.ok


def test_honorarios_nao_sao_declarados(tmp_path):
    from tests.unit.payroll.test_loader import R_CAB

    r = R_CAB + "12345678910,P,2025-09-01,2025-09-30,1600.00,30\n12345678910,H,2025-09-01,2025-09-30,800.00,0\n"
    p = load_payroll(_pasta(tmp_path, **{"remuneracoes.csv": r}), ANO_MES, NISS_EE)
    res = check_payroll(p, hoje=HOJE)
    v = res.violations[res.violations["rule_id"] == "DQ-NAT-02"]
    assert v["linha"].tolist() == [3] and "Segurança Social Direta" in v["mensagem"].iloc[0]
    assert res.ok  # a warning: the line is simply not part of this declaration
    corpo = to_valores_remuneracao(p)
    assert all(x["natureza"] != "H" for t in corpo["trabalhadores"] for x in t["remuneracoes"])
    (interno,) = internos_da_folha(p)
    assert interno.remuneracoes == {"P": Decimal("1600.00")}  # the month stays 1600, not 2400
