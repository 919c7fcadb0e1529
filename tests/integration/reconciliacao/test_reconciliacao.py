"""Reconciliation SQL on crafted cases of every difference class (SQLite and PostgreSQL)."""

from datetime import date
from decimal import Decimal as D

from ciclo.reconciliacao import TrabalhadorInterno, reconciliar
from tests.ledger_fixtures import gravar_interno

EE, MES = "20000003116", "202509"


def ss_doc(niss, remuneracoes, enquadramento="Regime geral", taxas=("11", "23.75"), dias="30", obrigacao=None):
    total = sum(D(v) for v in remuneracoes.values())
    cot = (total * D(taxas[0]) / 100).quantize(D("0.01"))
    con = (total * D(taxas[1]) / 100).quantize(D("0.01"))
    obr = D(obrigacao) if obrigacao else cot + con
    return {
        "anoMes": MES, "nissTrabalhador": int(niss), "totalRemuneracao": total, "totalContribuicao": obr,
        "totalReducao": D(0), "totalObrigacao": obr,
        "remuneracoes": [{"natureza": n, "remuneracao": D(v), "diasTrabalho": D(dias) if n == "P" else D(0),
                          "diasInatividade": D(0), "origem": "SEGURANCA_SOCIAL"} for n, v in remuneracoes.items()],
        "contribuicoes": [{"enquadramento": enquadramento, "valorCotizacao": cot, "taxaCotizacao": D(taxas[0]),
                           "valorContribuicao": con, "taxaContribuicao": D(taxas[1]), "obrigacao": obr}],
        "detalhesContribuicao": [],
    }


def interno(niss, remuneracoes, enquadramento="REGIME_GERAL", dias="30"):
    return TrabalhadorInterno(niss, enquadramento, {n: D(v) for n, v in remuneracoes.items()}, dias_trabalho=D(dias))


def test_every_difference_class_is_found_classified_and_explained(ledger):
    ledger.apurados.guardar(EE, MES, [
        ss_doc("10000000011", {"P": "1600.00"}),                     # identical
        ss_doc("10000000022", {"P": "1600.00"}),                     # contract not updated at the SS
        ss_doc("10000000044", {"P": "900.00"}),                      # unknown to payroll
        ss_doc("10000000055", {"P": "1000.00"}),                     # R missing at SS
        ss_doc("10000000066", {"P": "1000.00"}, dias="30"),          # days differ
        ss_doc("10000000077", {"P": "1000.00"}),                     # enquadramento differs
        ss_doc("10000000088", {"P": "1600.00"}, obrigacao="556.01"),  # rounding
    ])
    gravar_interno(ledger, EE, MES, [
        interno("10000000011", {"P": "1600.00"}),
        interno("10000000022", {"P": "1650.00"}),
        interno("10000000033", {"P": "700.00"}),                      # missing at SS
        interno("10000000055", {"P": "1000.00", "R": "120.00"}),
        interno("10000000066", {"P": "1000.00"}, dias="28"),
        interno("10000000077", {"P": "1000.00"}, enquadramento="PENSIONISTA_VELHICE"),
        interno("10000000088", {"P": "1600.00"}),
    ], date(2025, 9, 1))

    res = reconciliar(ledger, EE, MES)
    got = {(d["niss_trabalhador"], d["classe"], d["natureza"]): d for d in res.diferencas}
    assert set(got) == {
        ("10000000022", "REMUNERACAO_PERMANENTE_DIFERENTE", "P"),
        ("10000000022", "OBRIGACAO_DIFERENTE", None),
        ("10000000033", "TRABALHADOR_SEM_VALORES_SS", None),
        ("10000000044", "TRABALHADOR_DESCONHECIDO_FOLHA", None),
        ("10000000055", "NATUREZA_SO_FOLHA", "R"),
        ("10000000055", "OBRIGACAO_DIFERENTE", None),
        ("10000000066", "DIAS_DIFERENTES", None),
        ("10000000077", "TAXA_OU_ENQUADRAMENTO_DIFERENTE", None),
        ("10000000077", "OBRIGACAO_DIFERENTE", None),
        ("10000000088", "ARREDONDAMENTO", None),
    }
    p = got[("10000000022", "REMUNERACAO_PERMANENTE_DIFERENTE", "P")]
    assert (p["interno_cent"], p["ss_cent"], p["delta_cent"]) == (165000, 160000, -5000)
    assert "contrato não atualizado" in p["explicacao"] and "50,00 €" in p["explicacao"]
    o = got[("10000000022", "OBRIGACAO_DIFERENTE", None)]
    assert (o["interno_cent"], o["ss_cent"]) == (57338, 55600)  # 1650 × 34.75 % = 181.50 + 391.88
    assert got[("10000000066", "DIAS_DIFERENTES", None)]["explicacao"].startswith("Dias de trabalho diferentes: folha 28")
    assert "Pensionistas de velhice" in got[("10000000077", "TAXA_OU_ENQUADRAMENTO_DIFERENTE", None)]["interno_texto"]
    r = got[("10000000088", "ARREDONDAMENTO", None)]
    assert r["dentro_tolerancia"] and r["delta_cent"] == 1
    assert not res.dentro_tolerancia and len(res.fora_tolerancia) == 9
    assert res.totais["trabalhadores_folha"] == 7 and res.totais["trabalhadores_ss"] == 7

    # stored, and a re-run replaces rather than duplicates
    reconciliar(ledger, EE, MES)
    with ledger.begin() as c:
        n = c.exec_driver_sql("SELECT COUNT(*) FROM diferenca").scalar()
        rec = c.exec_driver_sql("SELECT diferencas, diferencas_fora_tolerancia FROM reconciliacao").one()
    assert n == 10 and tuple(rec) == (10, 9)


def test_clean_month_has_no_difference_and_tolerance_is_configurable(ledger):
    ledger.apurados.guardar(EE, MES, [ss_doc("10000000011", {"P": "1600.00"}, obrigacao="556.05")])
    gravar_interno(ledger, EE, MES, [interno("10000000011", {"P": "1600.00"})], date(2025, 9, 1))
    assert not reconciliar(ledger, EE, MES).dentro_tolerancia  # 5 cents > default 1 cent
    res = reconciliar(ledger, EE, MES, tolerancia=D("0.10"))
    assert res.dentro_tolerancia and [d["classe"] for d in res.diferencas] == ["ARREDONDAMENTO"]
