"""The golden table (docs/worked-cases.md), hand-computed from the rules, against both implementations: the
sandbox's apuramento fed with the request body this product sends, and the reconciliation's internal totals."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from ciclo.domain.niss import completar
from ciclo.domain.periodo import AnoMes
from ciclo.payroll import load_payroll, to_valores_remuneracao
from ciclo.quality import check_payroll
from ciclo.reconciliacao import calcular_interno, internos_da_folha
from ciclo.sandbox import engine
from ciclo_dev.escrita import escrever

RAIZ = Path(__file__).resolve().parents[3]
CASOS = yaml.safe_load((Path(__file__).parent / "casos.yaml").read_text(encoding="utf-8"))
NISS, NISS_EE = completar("1234567891"), completar("2000000001")
D = Decimal


def _tabela() -> dict[str, dict]:
    out = {}
    for linha in (RAIZ / "docs" / "worked-cases.md").read_text(encoding="utf-8").splitlines():
        if not re.match(r"^\| G\d+ \|", linha):
            continue
        c = [x.strip() for x in linha.strip("|").split("|")]
        declarado = {k: D(v) for k, v in (p.split("=") for p in c[2].split("; "))}
        out[c[0]] = {"declarado": declarado, "dias": D(c[3]), "inat": D(c[4]), "cotizacao": D(c[5]),
                     "contribuicao": D(c[6]), "reducao": D(c[7]), "obrigacao": D(c[8])}
    return out


ESPERADO = _tabela()


def test_tabela_tem_pelo_menos_25_casos_e_dados_para_cada_um():
    assert len(ESPERADO) >= 25 and set(ESPERADO) == set(CASOS)


def _d(s):
    return None if s is None else date.fromisoformat(str(s))


def _export(tmp_path: Path, caso: dict) -> Path:
    ref = AnoMes.parse(caso["ano_mes"])
    m0, m1 = ref.primeiro_dia, ref.ultimo_dia
    trab = [{"niss_trabalhador": NISS, "nome": "Ana Simões", "enquadramento": caso["enq"], "reducao": caso.get("reducao"),
             "enquadramento_desde": _d(caso.get("desde")), "enquadramento_anterior": caso.get("anterior")}]
    contratos = []
    for c in caso["contratos"]:
        ini, fim, base, diut, vinc, fim_v, mod = (list(c) + [None] * 7)[:7]
        mod = mod or "A"
        contratos.append({"niss_trabalhador": NISS, "modalidade_contrato": mod, "inicio_contrato": _d(ini),
                          "fim_contrato": _d(fim), "profissao": "41101", "remuneracao_base": D(base),
                          "diuturnidades": D(diut) if diut else None, "inicio_vinculo": _d(vinc or ini),
                          "fim_vinculo": _d(fim_v),
                          **({"percentagem_trabalho": D(25), "horas_trabalho": D(10), "dias_trabalho": D(8)}
                             if mod == "B" else {})})
    rem = []
    for p in caso["p"]:
        ini, fim, valor, dias, horas = (list(p) + [None])[:5]
        rem.append({"niss_trabalhador": NISS, "natureza": "P", "data_inicio": _d(ini), "data_fim": _d(fim),
                    "valor": D(valor), "dias": D(dias), "horas": D(horas) if horas else None})
    for ln in caso.get("linhas", []):
        nat, valor, dias, pag, suj = (list(ln) + [None] * 5)[:5]
        rem.append({"niss_trabalhador": NISS, "natureza": str(nat), "data_inicio": m0, "data_fim": m1,
                    "valor": D(valor), "dias": D(dias), "pagamento_refeicao": pag, "valor_sujeito": D(suj) if suj else None})
    inat = [{"niss_trabalhador": NISS, "data_inicio": _d(a), "data_fim": _d(b), "motivo": "DOENCA"}
            for a, b in caso.get("inat", [])]
    pasta = tmp_path / NISS_EE / caso["ano_mes"]
    pasta.mkdir(parents=True)
    for tipo, linhas in (("trabalhadores", trab), ("contratos", contratos), ("remuneracoes", rem),
                         ("inatividades", inat)):
        escrever(pasta, tipo, linhas, "csv")
    return pasta


def _vinculos(caso: dict) -> list[engine.Vinculo]:
    if caso.get("vinculos"):
        return [engine.Vinculo(_d(a), _d(b), e, caso.get("reducao")) for a, b, e in caso["vinculos"]]
    vs: dict = {}
    for c in caso["contratos"]:
        ini, _, _, _, vinc, fim_v = (list(c) + [None] * 6)[:6]
        vs.setdefault(vinc or ini, fim_v)
    return [engine.Vinculo(_d(a), _d(b), caso["enq"], caso.get("reducao")) for a, b in vs.items()]


def _contratos(caso: dict) -> list[engine.Contrato]:
    out = []
    for c in caso["contratos"]:
        ini, fim, base, diut = (list(c) + [None] * 4)[:4]
        out.append(engine.Contrato(_d(ini), _d(fim), D(base), D(diut) if diut else D(0)))
    return out


@pytest.mark.parametrize("cid", sorted(CASOS))
def test_caso(cid, tmp_path):
    caso, esperado = CASOS[cid], ESPERADO[cid]
    ref = AnoMes.parse(caso["ano_mes"])
    p = load_payroll(_export(tmp_path, caso), caso["ano_mes"], NISS_EE)
    assert p.load_issues == []
    qualidade = check_payroll(p, hoje=ref.seguinte().primeiro_dia)
    erros = set(qualidade.violations.loc[qualidade.violations["severity"] == "error", "rule_id"]) if len(qualidade.violations) else set()
    assert erros == set(caso.get("erros", [])), qualidade.violations[["rule_id", "mensagem"]].to_dict("records")

    # 1. the sandbox's apuramento on the request body this product sends
    corpo = to_valores_remuneracao(p)
    comunicado = next((t for t in corpo["trabalhadores"] if t["nissTrabalhador"] == NISS), None)
    res = engine.apurar_trabalhador(ref, NISS, _vinculos(caso), _contratos(caso), comunicado, date(2030, 1, 1))
    j = res.json
    por_nat: dict[str, Decimal] = {}
    for r in j["remuneracoes"]:
        por_nat[r["natureza"]] = por_nat.get(r["natureza"], D(0)) + r["remuneracao"]
    assert por_nat == esperado["declarado"]
    assert sum((r["diasTrabalho"] for r in j["remuneracoes"] if r["natureza"] == "P"), D(0)) == esperado["dias"]
    assert sum((r["diasInatividade"] for r in j["remuneracoes"] if r["natureza"] == "P"), D(0)) == esperado["inat"]
    cot = sum((c["valorCotizacao"] for c in j["contribuicoes"]), D(0))
    con = sum((c["valorContribuicao"] for c in j["contribuicoes"]), D(0))
    assert (cot, con, res.total_reducao, res.total_obrigacao) == (
        esperado["cotizacao"], esperado["contribuicao"], esperado["reducao"], esperado["obrigacao"])
    assert res.total_contribuicao == cot + con

    # 2. the reconciliation's internal totals on the same export
    (interno,) = internos_da_folha(p)
    assert {k: v for k, v in interno.remuneracoes.items()} == esperado["declarado"]
    assert interno.dias_trabalho == esperado["dias"]
    assert (interno.dias_inatividade or D(0)) == esperado["inat"]
    tot = calcular_interno(interno, ref.primeiro_dia)
    assert (tot["cotizacao_cent"], tot["contribuicao_cent"], tot["obrigacao_cent"]) == (
        int(esperado["cotizacao"] * 100), int(esperado["contribuicao"] * 100), int(esperado["obrigacao"] * 100))
