"""Seed the PSI sandbox from a payroll export: the workers, vínculos and contracts the Segurança Social already
knows before the reference month (contract versions starting inside the month are what the pipeline must
communicate). Used by ``make demo``, ``make airflow`` and the DAG tests; can plant differences on purpose."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.domain.periodo import AnoMes

CAMPOS = ("modalidade_contrato", "prestacao_trabalho", "inicio_contrato", "fim_contrato", "profissao", "remuneracao_base",
          "diuturnidades", "percentagem_trabalho", "horas_trabalho", "dias_trabalho", "motivo_contrato",
          "niss_trabalhador_substituir")


def _v(x):
    if x is None or (isinstance(x, float) and x != x) or str(x) in ("", "nan", "None", "NaT", "<NA>"):
        return None
    if isinstance(x, (date, Decimal)):
        return str(x)
    return str(x)


def seed_from_payroll(payroll, ano_mes: str, *, password: str = "sandbox", nome: str = "",
                      sem_vinculo: tuple[str, ...] = (), base_antiga: dict[str, Decimal] | None = None) -> dict:
    """The ``POST /_sandbox/seed`` body for one EE.

    ``sem_vinculo``: workers left out (the SS does not know them → they come back without valores apurados).
    ``base_antiga``: worker → a different remuneração base at the SS (a contract change never communicated).
    """
    inicio_mes = AnoMes.parse(ano_mes).primeiro_dia
    enq = {r["niss_trabalhador"]: r["enquadramento"] for r in payroll.trabalhadores.to_dict("records")}
    por_trab: dict[str, list[dict]] = {}
    for r in payroll.contratos.to_dict("records"):
        por_trab.setdefault(r["niss_trabalhador"], []).append(r)
    trabalhadores = []
    for niss, versoes in sorted(por_trab.items()):
        if niss in sem_vinculo:
            continue
        versoes.sort(key=lambda r: r["inicio_contrato"])
        conhecidas = [v for v in versoes if v["inicio_contrato"] < inicio_mes] or versoes[:1]
        contratos = []
        for v in conhecidas:
            c = {k.replace("_", "-"): _v(v.get(k)) for k in CAMPOS}
            contratos.append({k: x for k, x in c.items() if x is not None})
        if base_antiga and niss in base_antiga:
            contratos[-1]["remuneracao-base"] = str(base_antiga[niss])
        v0 = versoes[0]
        trabalhadores.append({"niss-trabalhador": niss, "enquadramento": enq.get(niss, "REGIME_GERAL"),
                              "inicio-vinculo": _v(v0.get("inicio_vinculo")) or _v(v0["inicio_contrato"]),
                              **({"fim-vinculo": _v(versoes[-1].get("fim_vinculo"))} if _v(versoes[-1].get("fim_vinculo")) else {}),
                              "contratos": contratos})
    return {"entidades": [{"niss": payroll.niss_ee, "nome": nome or payroll.niss_ee, "password": password,
                           "trabalhadores": trabalhadores}]}
