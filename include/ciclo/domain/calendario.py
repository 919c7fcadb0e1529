"""The statutory calendar of month M's cycle, computed (never hard-coded per month).

- contract changes: by day 10 of M+1 (Art. 8 DR 1-A/2011);
- confirmation of the valores apurados: day 20 of M+1 — silence by then counts as acceptance;
- payment: day 25 of M+1; when M+1 is August, its last day. The ``dataLimitePagamento`` returned by the
  Segurança Social takes precedence over the computed date.

A deadline on a weekend or a Portuguese national public holiday is *flagged* (the law's day is kept; the
operator is told to act the working day before).
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


def dia_util_anterior(d: date) -> date:
    while d.weekday() >= 5 or feriado(d):
        d -= timedelta(days=1)
    return d


@dataclass(frozen=True)
class Prazo:
    passo: str  # contratos, confirmacao, pagamento
    data: date
    fonte: str
    nao_util: str | None  # "sábado", "domingo" or the holiday's name when the day is not a working day

    @property
    def aviso(self) -> str | None:
        if not self.nao_util:
            return None
        return (f"o prazo de {self.passo} ({self.data.isoformat()}) calha em {self.nao_util}: "
                f"agir até {dia_util_anterior(self.data).isoformat()}")


def _nao_util(d: date) -> str | None:
    if d.weekday() == 5:
        return "sábado"
    if d.weekday() == 6:
        return "domingo"
    return feriado(d)


def prazos(ano_mes: str, data_limite_ss: date | None = None) -> dict[str, Prazo]:
    ref = AnoMes.parse(ano_mes)
    m1 = ref.seguinte()
    contratos = date(m1.ano, m1.mes, 10)
    confirmacao = data_limite_confirmacao(ref)
    if data_limite_ss is not None:
        pagamento, fonte = data_limite_ss, "dataLimitePagamento (Segurança Social)"
    else:
        pagamento, fonte = data_limite_pagamento(ref), "dia 25 de M+1 (agosto: último dia)"
    return {
        "contratos": Prazo("contratos", contratos, "Art. 8.º DR 1-A/2011: até ao dia 10 de M+1", _nao_util(contratos)),
        "confirmacao": Prazo("confirmacao", confirmacao, "dia 20 de M+1: o silêncio vale como aceitação", _nao_util(confirmacao)),
        "pagamento": Prazo("pagamento", pagamento, fonte, _nao_util(pagamento)),
    }


def alertas_atraso(ano_mes: str, hoje: date, *, enviado: bool, confirmado: bool, pago: bool,
                   data_limite_ss: date | None = None, antecedencia_dias: int = 3) -> list[str]:
    """Warnings for the operator: a step not done with its deadline near (within ``antecedencia_dias``) or past."""
    out = []
    p = prazos(ano_mes, data_limite_ss)
    for passo, feito, o_que in (("contratos", enviado, "comunicar alterações e valores"),
                                ("confirmacao", confirmado, "confirmar os valores apurados"),
                                ("pagamento", pago, "pagar as contribuições")):
        prazo = p[passo]
        if feito:
            continue
        dias = (prazo.data - hoje).days
        if dias < 0:
            out.append(f"ATRASADO: {o_que} — o prazo era {prazo.data.isoformat()} ({-dias} dia(s) atrás)")
        elif dias <= antecedencia_dias:
            out.append(f"PRAZO PRÓXIMO: {o_que} até {prazo.data.isoformat()} (faltam {dias} dia(s))")
        if prazo.aviso and dias >= 0:
            out.append(prazo.aviso)
    return out
