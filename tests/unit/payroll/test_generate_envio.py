from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

import pytest

from ciclo.domain import jsonexato
from ciclo.domain.niss import niss_valido
from ciclo.payroll import load_payroll, to_valores_remuneracao
from ciclo_dev.generate import generate, main


def _digest(raiz):
    h = hashlib.sha256()
    for f in sorted(p for p in raiz.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(raiz)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("fmt", ["csv", "csv-pt", "xlsx"])
def test_gerador_deterministico(tmp_path, fmt):
    a = generate(tmp_path / "a", employers=2, workers=20, ano_mes="202512", seed=4, format=fmt,
                 anomalies="DQ-NISS-02:2,DQ-P-01")
    b = generate(tmp_path / "b", employers=2, workers=20, ano_mes="202512", seed=4, format=fmt,
                 anomalies="DQ-NISS-02:2,DQ-P-01")
    assert _digest(a.out) == _digest(b.out)
    assert a.anomalias == b.anomalias and len(a.anomalias) == 3
    assert _digest(a.out) != _digest(generate(tmp_path / "c", employers=2, workers=20, ano_mes="202512", seed=5,
                                              format=fmt).out)


def test_same_seed_same_workers_in_every_month(tmp_path):
    """``make demo`` and ``make airflow-celery`` prepare consecutive months with one seed, and the SS knows the
    workers of the months before: the same seed must give the same workers in every month. A draw made only in
    some months (the Christmas subsidy in November) or a range that grew with the year shifted every later worker:
    October and November 2026 shared 2 of 40 workers. Several seeds: one seed may share them by chance."""
    def trabalhadores(ano_mes, seed):
        g = generate(tmp_path / f"{seed}-{ano_mes}", employers=2, workers=40, ano_mes=ano_mes, seed=seed)
        return {ee: re.findall(r"\b1\d{10}\b", (pasta / "trabalhadores.csv").read_text(encoding="utf-8"))
                for ee, pasta in g.pastas.items()}

    meses = ["202511", "202512", "202601", "202605", "202606", "202607", "202610", "202611", "202612", "202701",
             "202702"]
    for seed in (1, 3, 5, 2027):
        primeiro = trabalhadores(meses[0], seed)
        assert all(len(v) == 40 for v in primeiro.values())
        for m in meses[1:]:
            assert trabalhadores(m, seed) == primeiro, (seed, m)
    # November still pays the Christmas subsidy, to about half of the workers
    g = generate(tmp_path / "n", employers=1, workers=40, ano_mes="202611", seed=2027)
    [(ee, pasta)] = g.pastas.items()
    natal = load_payroll(str(pasta), "202611", ee).remuneracoes.query("natureza == 'N'")
    assert 8 <= len(natal) <= 32


def test_gerador_realista(limpo):
    g, p, _ = limpo
    assert all(niss_valido(n) for n in list(g.pastas) + p.trabalhadores["niss_trabalhador"].tolist())
    nat = set(p.remuneracoes["natureza"])
    assert {"P", "R", "F"} <= nat  # June: subsídio de férias
    assert p.remuneracoes["horas"].notna().any()  # hourly workers
    assert len(p.inatividades) > 0
    assert len(set(p.contratos["modalidade_contrato"])) >= 6
    assert all(isinstance(v, Decimal) for v in p.remuneracoes["valor"])


def test_cli_do_gerador(tmp_path, capsys):
    assert main(["--employers", "2", "--workers", "5", "--ano-mes", "202511", "--out", str(tmp_path),
                 "--anomalies", "DQ-DUP-01"]) == 0
    out = capsys.readouterr().out
    assert "planted DQ-DUP-01: remuneracoes line" in out
    import yaml

    ees = yaml.safe_load((tmp_path / "employers.yaml").read_text(encoding="utf-8"))["employers"]
    assert len(ees) == 2 and {"niss_ee", "nome"} <= set(ees[0])
    assert main(["--ano-mes", "202511", "--out", str(tmp_path), "--anomalies", "DQ-NOPE"]) == 2


def test_to_valores_remuneracao(limpo):
    _, p, _ = limpo
    body = to_valores_remuneracao(p)
    assert body["anoMes"] == "202506"
    trab = body["trabalhadores"]
    assert [t["nissTrabalhador"] for t in trab] == sorted(t["nissTrabalhador"] for t in trab)
    rem = p.remuneracoes
    horista = rem["horas"].notna() & rem["horas"].astype(str).str.strip().ne("")
    horistas = set(rem.loc[horista, "niss_trabalhador"])
    assert horistas, "the clean dataset has hourly workers"
    for t in trab:
        assert set(t) == {"nissTrabalhador", "remuneracoes", "inatividades"}
        assert t["remuneracoes"] or t["inatividades"]
        for r in t["remuneracoes"]:
            assert set(r) == {"dataInicio", "dataFim", "natureza", "remuneracao", "diasTrabalho"}
            # P is computed by the SS from the contract; only hourly work declares it (Art. 16 n.º 5)
            assert (r["natureza"] != "P" or t["nissTrabalhador"] in horistas) and isinstance(r["remuneracao"], Decimal)
            assert r["remuneracao"] == r["remuneracao"].quantize(Decimal("0.01"))
            assert r["dataInicio"].startswith("2025-06")
        for i in t["inatividades"]:
            assert set(i) == {"dataInicio", "dataFim", "motivo"}
    # Only the part subject to contributions is declared: wholly exempt lines (meal allowance within the legal
    # limit, ajudas de custo within theirs) are not sent, partly exempt ones carry the subject part.
    from ciclo.payroll.incidencia import incidencias

    inc = incidencias(p)
    sujeitas = ((rem["natureza"] != "P") | horista) & inc["sujeito"].map(lambda v: v is not None and v > 0)
    isentas_r = (rem["natureza"] == "R") & inc["sujeito"].map(lambda v: v == 0)
    assert isentas_r.any() and (inc["isento"].map(lambda v: v is not None and v > 0) & ~isentas_r).any()
    enviados = sum(len(t["remuneracoes"]) for t in trab)
    assert enviados == int(sujeitas.sum())
    assert sum(r["remuneracao"] for t in trab for r in t["remuneracoes"]) == sum(inc["sujeito"][sujeitas])
    assert sum(len(t["inatividades"]) for t in trab) == len(p.inatividades)
    # JSON-serialisable with exact decimals (what the REST client does)
    again = jsonexato.loads(jsonexato.dumps(body))
    assert again["trabalhadores"][0]["nissTrabalhador"] == trab[0]["nissTrabalhador"]
    json.dumps(body, default=str)


def test_dias_trabalho_do_contrato_sao_mensais(limpo):
    """Issue 13, item 3: dias-trabalho is "Número de dias mensais de trabalho" (specs/alterar-contrato-soap.txt)."""
    from ciclo.domain.contrato import MODALIDADES

    _, p, _ = limpo
    c = p.contratos
    parciais = c[c["modalidade_contrato"].map(lambda m: MODALIDADES[m].parcial)]
    assert len(parciais) and all(d >= 13 for d in parciais["dias_trabalho"])  # 3 days a week ≈ 13 a month
    horas_dia = [h * 52 / 12 / d for h, d in zip(parciais["horas_trabalho"], parciais["dias_trabalho"])]
    assert max(horas_dia) <= 12


def test_incidencias_are_computed_once_per_payroll_and_again_for_new_lines(tmp_path, monkeypatch):
    from ciclo.domain import incidencia as dom
    from ciclo.payroll import incidencia as inc_mod
    from ciclo_dev.generate import generate

    g = generate(tmp_path, employers=1, workers=15, ano_mes="202506", seed=3)
    [(ee, pasta)] = g.pastas.items()
    p = load_payroll(pasta, "202506", ee)
    chamadas = []
    real = dom.incidencia
    monkeypatch.setattr(inc_mod, "incidencia", lambda *a, **k: chamadas.append(1) or real(*a, **k))
    a = inc_mod.incidencias(p)
    n = len(chamadas)
    assert n > 0
    assert inc_mod.incidencias(p) is a and len(chamadas) == n       # the rules, the payload, the totals: once
    to_valores_remuneracao(p)
    assert len(chamadas) == n
    p.remuneracoes = p.remuneracoes.iloc[:-1]                        # other lines: computed again, for them
    b = inc_mod.incidencias(p)
    assert b is not a and len(b) == len(a) - 1 and len(chamadas) > n


def test_equal_lines_share_one_outcome_and_every_line_gets_its_own_value(tmp_path):
    """Lines with the same arguments share one computed outcome (memory at 50,000 workers); every line's outcome
    is still the one ``ciclo.domain.incidencia`` gives for its own arguments — also when the amounts are not the
    loader's shared Decimals but a fresh object per row (ints, floats), whose ids Python may reuse."""
    import pandas as pd

    from ciclo.domain.incidencia import IncidenciaInvalida, incidencia
    from ciclo.payroll import incidencia as inc_mod
    from ciclo_dev.generate import generate

    g = generate(tmp_path, employers=1, workers=60, ano_mes="202506", seed=8)
    [(ee, pasta)] = g.pastas.items()
    p = load_payroll(pasta, "202506", ee)

    def um_a_um(rem):
        out = []
        for nat, valor, dias, pg, s in zip(rem["natureza"], rem["valor"], rem["dias"], rem["pagamento_refeicao"],
                                           rem["valor_sujeito"]):
            try:
                i = incidencia(nat, Decimal(str(valor)), __import__("datetime").date(2025, 6, 1), dias=dias,
                               pagamento_refeicao=pg, valor_sujeito=s)
                out.append((i.bruto, i.isento, i.sujeito, i.fonte))
            except IncidenciaInvalida:
                out.append(None)
        return out

    inc = inc_mod.incidencias(p)
    esperado = um_a_um(p.remuneracoes)
    assert [None if e is not None else (b, i, s, f) for b, i, s, f, e in
            zip(inc["bruto"], inc["isento"], inc["sujeito"], inc["fonte"], inc["erro"])] == esperado
    r = p.remuneracoes["natureza"] == "R"
    assert r.sum() > 10 and inc["fonte"][r].map(id).nunique() < r.sum()  # shared, not one copy per line

    # days as floats (a fresh Python object per row when iterated, often at the address of the row before's),
    # the meal allowances on varied day counts
    rem = p.remuneracoes[r].copy()
    rem["dias"] = (pd.Series(range(len(rem)), index=rem.index) % 23 + 1).astype("float64")
    rem["pagamento_refeicao"] = "D"
    rem["valor_sujeito"] = None
    p.remuneracoes = rem
    inc = inc_mod.incidencias(p)
    assert list(zip(inc["bruto"], inc["isento"], inc["sujeito"], inc["fonte"])) == um_a_um(rem)
    assert inc["fonte"].nunique() > 10
