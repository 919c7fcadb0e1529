"""The statutory calendar of month M's cycle, computed (never hard-coded per month).

Where each deadline comes from:

- contract changes (alterarContratoTrabalho) and the declaration: by day 10 of M+1 — DR 1-A/2011 art. 8.º
  (specs/decreto-regulamentar-ciclo-contributivo.txt);
- confirmation of the valores apurados: day 20 of M+1; silence by then counts as acceptance — Código dos Regimes
  Contributivos as amended by Decreto-Lei 127/2025 (read through law-firm summaries, DOMAIN.md §1), and DR 1-A/2011
  art. 21.º n.º 1: "A declaração é considerada validamente entregue [...] na data limite para aceitação pela
  entidade empregadora";
- payment: day 25 of M+1, or the last day of August when M+1 is August — Código as amended by Decreto-Lei
  127/2025 (DOMAIN.md §1). The ``dataLimitePagamento`` returned by the Segurança Social takes precedence.

A deadline that falls on a Saturday, Sunday or Portuguese national holiday moves to the next working day —
Código Civil art. 279.º e) ("O prazo que termine em domingo ou dia feriado transfere-se para o primeiro dia útil"),
as applied to these deadlines (DOMAIN.md §1). ``Prazo.data`` is that legal date; ``Prazo.data_segura`` is a
separate, earlier safe date: the last working day on or before the nominal day, for an operator who would rather
not rely on the move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from ciclo.domain.periodo import AnoMes, data_limite_confirmacao, data_limite_pagamento


@lru_cache(maxsize=32)
def _feriados(ano: int):
    import holidays

    return holidays.Portugal(years=ano, language="pt_PT")


def feriado(d: date) -> str | None:
    """The name of the Portuguese national public holiday on ``d``, if any."""
    return _feriados(d.year).get(d)


def _nao_util(d: date) -> str | None:
    if d.weekday() == 5:
        return "sábado"
    if d.weekday() == 6:
        return "domingo"
    return feriado(d)


def dia_util_anterior(d: date) -> date:
    """``d`` itself when it is a working day, else the working day before (the safe date)."""
    while _nao_util(d):
        d -= timedelta(days=1)
    return d


def dia_util_seguinte(d: date) -> date:
    """``d`` itself when it is a working day, else the next working day (Código Civil art. 279.º e))."""
    while _nao_util(d):
        d += timedelta(days=1)
    return d


@dataclass(frozen=True)
class Prazo:
    passo: str  # contratos, confirmacao, pagamento
    nominal: date  # the day the statute names (or the Segurança Social's dataLimitePagamento)
    fonte: str
    nao_util: str | None  # "sábado", "domingo" or the holiday's name when the nominal day is not a working day

    @property
    def data(self) -> date:
        """The legal deadline: the nominal day moved to the next working day (Código Civil art. 279.º e))."""
        return dia_util_seguinte(self.nominal)

    @property
    def data_segura(self) -> date:
        """A safe earlier date: the last working day on or before the nominal day."""
        return dia_util_anterior(self.nominal)

    @property
    def aviso(self) -> str | None:
        if not self.nao_util:
            return None
        return (f"o prazo de {self.passo} ({self.nominal.isoformat()}) calha em {self.nao_util}: a data legal passa "
                f"para {self.data.isoformat()} (Código Civil art. 279.º e)); data segura: {self.data_segura.isoformat()}")


def prazos(ano_mes: str, data_limite_ss: date | None = None) -> dict[str, Prazo]:
    ref = AnoMes.parse(ano_mes)
    m1 = ref.seguinte()
    contratos = date(m1.ano, m1.mes, 10)
    confirmacao = data_limite_confirmacao(ref)
    if data_limite_ss is not None:
        pagamento, fonte = data_limite_ss, "dataLimitePagamento (Segurança Social)"
    else:
        pagamento, fonte = data_limite_pagamento(ref), ("dia 25 de M+1 (agosto: último dia) — Código dos Regimes "
                                                        "Contributivos, red. Decreto-Lei 127/2025")
    return {
        "contratos": Prazo("contratos", contratos, "Art. 8.º DR 1-A/2011: até ao dia 10 de M+1", _nao_util(contratos)),
        "confirmacao": Prazo("confirmacao", confirmacao, "dia 20 de M+1, o silêncio vale como aceitação — Código dos "
                             "Regimes Contributivos, red. Decreto-Lei 127/2025; DR 1-A/2011 art. 21.º n.º 1",
                             _nao_util(confirmacao)),
        "pagamento": Prazo("pagamento", pagamento, fonte, _nao_util(pagamento)),
    }


def alertas_atraso(ano_mes: str, hoje: date, *, enviado: bool, confirmado: bool, pago: bool,
                   data_limite_ss: date | None = None, antecedencia_dias: int = 3) -> list[str]:
    """Warnings for the operator: a step not done with its deadline near (within ``antecedencia_dias`` of the safe
    date) or past the legal date. An unconfirmed month past its confirmation date is not late: it was accepted by
    silence (DR 1-A/2011 art. 21.º n.º 1)."""
    out = []
    p = prazos(ano_mes, data_limite_ss)
    for passo, feito, o_que in (("contratos", enviado, "comunicar alterações e valores"),
                                ("confirmacao", confirmado, "confirmar os valores apurados"),
                                ("pagamento", pago, "pagar as contribuições")):
        prazo = p[passo]
        if feito:
            continue
        dias = (prazo.data - hoje).days
        if dias < 0 and passo == "confirmacao":
            out.append(f"ACEITE POR SILÊNCIO: os valores apurados de {ano_mes} consideram-se aceites desde "
                       f"{prazo.data.isoformat()} (não confirmados até à data-limite; DR 1-A/2011 art. 21.º n.º 1) — "
                       f"correções só por pedido de correção (art. 26.º)")
            continue
        if dias < 0:
            out.append(f"ATRASADO: {o_que} — o prazo legal era {prazo.data.isoformat()} ({-dias} dia(s) atrás)")
        elif (prazo.data_segura - hoje).days <= antecedencia_dias:
            out.append(f"PRAZO PRÓXIMO: {o_que} até {prazo.data_segura.isoformat()} (data segura; data legal "
                       f"{prazo.data.isoformat()}, faltam {dias} dia(s))")
        if prazo.aviso and dias >= 0:
            out.append(prazo.aviso)
    return out
