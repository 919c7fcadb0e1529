"""The request body of ``POST .../valores-remuneracao/entidade-empregadora/{niss-ee}`` from a loaded payroll.

Shape: docs/psi-contract.md, "Send" (ASSUMED, mirrors the valores apurados). Natureza ``P`` is not sent: the
Segurança Social computes the permanent remuneration from the contract (base + diuturnidades, prorated).
Only the part of each line subject to contributions is declared (``ciclo.payroll.incidencia``).
Inactivities are sent. Honorários (H) are not part of this declaration (DR 1-A/2011 art. 20.º n.º 4: declared
autonomously through Segurança Social Direta) and are never sent (``ciclo.domain.naturezas.FORA_DA_DECLARACAO``). Amounts stay ``Decimal`` (the REST client writes them as exact JSON numbers).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.domain.incidencia import IncidenciaInvalida
from ciclo.domain.naturezas import FORA_DA_DECLARACAO
from ciclo.payroll.incidencia import incidencias

NATUREZA_NAO_ENVIADA = "P"


def _iso(d) -> str | None:
    return d.isoformat() if isinstance(d, date) else (None if d is None else str(d))


def _dias(v) -> int | Decimal:
    if v is None:
        return 0
    d = Decimal(v)
    return int(d) if d == d.to_integral_value() else d


def to_valores_remuneracao(payroll) -> dict:
    """``{"anoMes", "trabalhadores": [{"nissTrabalhador", "remuneracoes": [...], "inatividades": [...]}]}``, one entry
    per worker with something to send, workers and lines in a stable order. Send only a payroll whose quality check
    passed (``ciclo.quality.check_payroll(...).ok``)."""
    por_trab: dict[str, dict] = {}

    def entrada(niss: str) -> dict:
        return por_trab.setdefault(niss, {"nissTrabalhador": niss, "remuneracoes": [], "inatividades": []})

    rem = payroll.remuneracoes
    if len(rem):
        # What is declared is the part subject to contributions (ISS, Guia Prático da Declaração de Remunerações);
        # exempt parts (meal allowance within the legal limit, ajudas de custo within theirs...) are not sent, and
        # a line with nothing subject is left out (ciclo.payroll.incidencia).
        inc = incidencias(payroll)
        # P is computed by the SS from the contract, except for hourly work (a P line with hours, Art. 16 n.º 5),
        # whose permanent remuneration the employer declares.
        horas = rem["horas"] if "horas" in rem.columns else None
        com_horas = horas.notna() & horas.astype(str).str.strip().ne("") if horas is not None else False
        declarado = ~rem["natureza"].isin(list(FORA_DA_DECLARACAO))
        envio = rem[declarado & ((rem["natureza"] != NATUREZA_NAO_ENVIADA) | com_horas)].sort_values(
            ["niss_trabalhador", "data_inicio", "natureza", "_linha"], na_position="last", kind="stable")
        for idx, r in zip(envio.index, envio[["niss_trabalhador", "data_inicio", "data_fim", "natureza", "valor", "dias",
                                              "_ficheiro", "_linha"]].itertuples(index=False)):
            if r.niss_trabalhador is None:
                continue
            if inc.at[idx, "erro"] is not None:
                raise IncidenciaInvalida(f"{r._6} linha {r._7}: {inc.at[idx, 'erro']} — corrija a folha (quality gate)")
            sujeito = inc.at[idx, "sujeito"]
            if sujeito is not None and sujeito == 0:
                continue
            entrada(r.niss_trabalhador)["remuneracoes"].append({
                "dataInicio": _iso(r.data_inicio), "dataFim": _iso(r.data_fim), "natureza": r.natureza,
                "remuneracao": sujeito, "diasTrabalho": _dias(r.dias)})
    ina = payroll.inatividades
    if len(ina):
        for r in ina.sort_values(["niss_trabalhador", "data_inicio", "_linha"], na_position="last", kind="stable")[
                ["niss_trabalhador", "data_inicio", "data_fim", "motivo"]].itertuples(index=False):
            if r.niss_trabalhador is None:
                continue
            entrada(r.niss_trabalhador)["inatividades"].append(
                {"dataInicio": _iso(r.data_inicio), "dataFim": _iso(r.data_fim), "motivo": r.motivo})
    return {"anoMes": str(payroll.ano_mes), "trabalhadores": [por_trab[k] for k in sorted(por_trab)]}
