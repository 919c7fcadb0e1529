"""Every registered rule is caught where it was planted and not raised on clean data (parametrised over the
registry: a new rule without a planter or a special case here fails)."""

from __future__ import annotations

import json

import pytest

from ciclo.quality import checks
from ciclo.quality.gx_runner import pasta_expectations
from ciclo.domain.regras import REGRAS, por_camada
from tests.unit.quality.conftest import HOJE, REGRAS_FICHEIRO, REGRAS_LINHA, carregar_e_verificar


def _apanhada(resultado, anomalia) -> bool:
    v = resultado.violations
    v = v[v["rule_id"] == anomalia["rule_id"]]
    if anomalia["linha"] is None:
        return len(v) > 0
    mesma_linha = (v["linha"] == anomalia["linha"]) & (v["ficheiro"].fillna("").str.startswith(anomalia["ficheiro"]))
    # Rules about a worker's month (30-day cap, work + inactivity) are reported on the worker's first line.
    return bool(mesma_linha.any() or (v["niss"] == anomalia["niss"]).any())


@pytest.mark.parametrize("rule_id", sorted(REGRAS))
def test_regra_apanhada_onde_foi_plantada(rule_id, plantado, plantado_ficheiro, tmp_path):
    if rule_id == "DQ-PER-01":  # the ano_mes argument, not the export
        g, _, _ = plantado
        ee, pasta = next(iter(g.pastas.items()))
        _, r = carregar_e_verificar(pasta, ee, ano_mes="202513")
        assert "DQ-PER-01" in r.counts_by_rule and not r.ok
        return
    if rule_id == "DQ-ISE-03":  # a month without recorded legal limits (before the first version of limites.yaml)
        from ciclo_dev.generate import generate

        g = generate(tmp_path, workers=12, ano_mes="202109", seed=3)
        ee, pasta = next(iter(g.pastas.items()))
        _, r = carregar_e_verificar(pasta, ee, ano_mes="202109")
        v = r.violations[r.violations["rule_id"] == "DQ-ISE-03"]
        assert len(v) and not r.ok and "limites.yaml" in v["mensagem"].iloc[0]
        return
    if rule_id == "DQ-ISE-04":  # a month after limites.yaml's confirmado_ate: a warning, the payroll still passes
        from datetime import date

        from ciclo.payroll import load_payroll
        from ciclo.quality import check_payroll
        from ciclo_dev.generate import generate

        g = generate(tmp_path, workers=12, ano_mes="202701", seed=3)
        ee, pasta = next(iter(g.pastas.items()))
        folha = load_payroll(pasta, "202701", ee)
        r = check_payroll(folha, hoje=date(2027, 2, 5))   # run in the next month
        v = r.violations[r.violations["rule_id"] == "DQ-ISE-04"]
        # once for the payroll, saying how many of its meal-allowance lines used those limits
        assert len(v) == 1 and r.ok and "confirmados até" in v["mensagem"].iloc[0]
        n_r = int((folha.remuneracoes["natureza"] == "R").sum())
        assert n_r > 1 and f"{n_r} linha(s) de subsídio de refeição" in v["mensagem"].iloc[0]
        assert (v["severity"] == "warning").all()
        return
    if rule_id in REGRAS_FICHEIRO:
        g, _, r = plantado_ficheiro(rule_id)
    else:
        assert rule_id in REGRAS_LINHA
        g, _, r = plantado
    anomalias = [a for a in g.anomalias if a["rule_id"] == rule_id]
    assert anomalias, f"no planter for {rule_id}"
    for a in anomalias:
        assert _apanhada(r, a), f"{rule_id} not reported at {a}: {r.counts_by_rule}"
    if REGRAS[rule_id].severidade == "error":
        assert not r.ok


@pytest.mark.parametrize("rule_id", sorted(REGRAS))
def test_regra_nao_levantada_em_dados_limpos(rule_id, limpo):
    _, _, r = limpo
    assert rule_id not in r.counts_by_rule, r.violations[r.violations["rule_id"] == rule_id].head().to_dict("records")


def test_dados_limpos_podem_ser_enviados(limpo):
    _, p, r = limpo
    assert r.ok and len(r.violations) == 0
    assert p.load_issues == []


def test_cada_regra_tem_fonte_e_uma_camada_que_a_executa():
    gx_ids = set()
    for f in pasta_expectations().glob("*.json"):
        for e in json.loads(f.read_text(encoding="utf-8"))["expectations"]:
            gx_ids.add(e["meta"]["rule_id"])
    assert gx_ids <= set(REGRAS), gx_ids - set(REGRAS)
    assert {r.id for r in por_camada("gx")} == gx_ids
    assert {r.id for r in por_camada("pandas")} == set(checks.PREDICADOS)
    assert {r.id for r in por_camada("contrato")} == set(checks.REGRAS_CONTRATO)
    for r in REGRAS.values():
        assert r.fonte and r.severidade in ("error", "warning") and r.titulo


def test_resultado_e_relatorio(plantado, tmp_path):
    from ciclo.quality import write_report

    _, _, r = plantado
    texto = r.summary_text()
    assert "BLOQUEADO" in texto and len(texto.splitlines()) <= 50
    assert sum(r.counts_by_rule.values()) == len(r.violations)
    v = r.violations_list()[0]
    assert v.severity == "error" and v.mensagem
    paths = write_report(r, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert "DQ-NISS-02" in html and "DR 1-A/2011 Art. 16.º" in html
    assert "<script" not in html
    import csv

    with paths["csv"].open(encoding="utf-8-sig") as fh:
        linhas = list(csv.DictReader(fh, delimiter=";"))
    assert len(linhas) == len(r.violations)
    assert {"rule_id", "ficheiro", "linha", "niss", "coluna", "valor", "mensagem"} <= set(linhas[0])


def test_relatorio_escapa_html(limpo, tmp_path):
    import pandas as pd

    from ciclo.quality import write_report
    from ciclo.domain.violacao import violacao

    _, _, r = limpo
    v = violacao("DQ-FMT-01", ficheiro="remuneracoes.csv", linha=3, coluna="valor", valor="<script>alert(1)</script>")
    r2 = type(r)(r.niss_ee, r.ano_mes, pd.DataFrame([v.as_dict()]), r.content_hash)
    html = write_report(r2, tmp_path)["html"].read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_payrolls_checked_together_get_each_the_verdict_they_get_alone(plantado, limpo, plantado_ficheiro):
    """A lote's payrolls go through the GX suites as one frame: every payroll keeps exactly its own violations
    (same rule, file, line, worker, value), none leaks to another, and the clean one stays clean."""
    from ciclo.quality import check_payrolls

    sozinhos = [plantado[2], limpo[2], plantado_ficheiro("DQ-FICH-02")[2]]
    juntos = check_payrolls([plantado[1], limpo[1], plantado_ficheiro("DQ-FICH-02")[1]], hoje=HOJE)
    assert [r.niss_ee for r in juntos] == [r.niss_ee for r in sozinhos]
    for s, j in zip(sozinhos, juntos):
        assert j.violations.to_dict("records") == s.violations.to_dict("records")
        assert j.ok == s.ok
    assert not juntos[0].ok and juntos[1].ok and juntos[0].n_erros > 10


def test_limites_nao_confirmados_uma_vez_por_folha_tambem_num_lote(tmp_path):
    """DQ-ISE-04 once per payroll whether a lote's payrolls are checked together or one by one."""
    from datetime import date

    from ciclo.payroll import load_payroll
    from ciclo.quality import check_payroll
    from ciclo.quality.runner import check_payrolls
    from ciclo_dev.generate import generate

    g = generate(tmp_path, workers=12, ano_mes="202701", seed=3, employers=3)
    assert len(g.pastas) == 3
    hoje = date(2027, 2, 5)
    juntos = check_payrolls([load_payroll(p, "202701", ee) for ee, p in g.pastas.items()], hoje=hoje)
    for (ee, pasta), rj in zip(g.pastas.items(), juntos):
        so = check_payroll(load_payroll(pasta, "202701", ee), hoje=hoje)
        a, b = ([r for r in x.violations.to_dict("records") if r["rule_id"] == "DQ-ISE-04"] for x in (rj, so))
        assert len(a) == 1 and a == b
