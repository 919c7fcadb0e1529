"""When the elements declared for month M may still be corrected, and how (DR 1-A/2011 art. 26.º).

The figures (2 and 4 months, day 20) are dated data in ``ciclo/data/prazos_correcao.yaml``, with the exact text they
come from. In short:

- ``NO_PRAZO`` — art. 26.º n.º 1: "nos dois meses seguintes ao mês da declaração a que os mesmos respeitam": until
  the last day of M+2 (read as the month the elements refer to; reading it as the month the declaration was made
  would give one month more — the earlier, safer date is used);
- ``FORA_DE_PRAZO`` — art. 26.º n.º 2: "até quatro meses após a data em que foram ou deveriam ter sido declarados,
  sendo consideradas, para todos os efeitos, como efetuadas fora de prazo". The date of the declaration is art.
  21.º n.º 1's (the confirmation date, or the acceptance limit, day 20 of M+1), so the window runs to about day 20
  of M+5 — not to the end of M+4;
- ``EXPIRADO`` — art. 26.º n.º 3: afterwards only "mediante requerimento e apresentação de prova", decided by the
  services: the pipeline refuses.

A term of months ends on the corresponding day of the last month (Código Civil art. 279.º c)); a last day that is a
Saturday, Sunday or holiday moves to the next working day (art. 279.º e), ``calendario.dia_util_seguinte``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import yaml

from ciclo.domain.calendario import dia_util_seguinte
from ciclo.domain.periodo import AnoMes

NO_PRAZO, FORA_DE_PRAZO, EXPIRADO = "NO_PRAZO", "FORA_DE_PRAZO", "EXPIRADO"


class PrazosEmFalta(LookupError):
    """No correction time limits are recorded for the month asked (ciclo/data/prazos_correcao.yaml)."""


@dataclass(frozen=True)
class RegrasCorrecao:
    desde: date
    meses_no_prazo: int
    meses_fora_de_prazo: int
    dia_limite_aceitacao: int
    fonte: str


@lru_cache(maxsize=1)
def _versoes() -> tuple[RegrasCorrecao, ...]:
    d = yaml.safe_load(resources.files("ciclo.data").joinpath("prazos_correcao.yaml").read_text(encoding="utf-8"))
    out = [RegrasCorrecao(date.fromisoformat(str(v["desde"])), int(v["meses_no_prazo"]), int(v["meses_fora_de_prazo"]),
                          int(v["dia_limite_aceitacao"]), str(v["fonte"])) for v in d["versoes"]]
    return tuple(sorted(out, key=lambda r: r.desde))


def regras(ref: AnoMes) -> RegrasCorrecao:
    """The rules in force for reference month ``ref`` (the new model's, from January 2026)."""
    em_vigor = [r for r in _versoes() if r.desde <= ref.primeiro_dia]
    if not em_vigor:
        raise PrazosEmFalta(f"sem prazos de correção registados para {ref} (registados desde "
                            f"{_versoes()[0].desde.isoformat()}): acrescente-os, com a fonte, a "
                            f"ciclo/data/prazos_correcao.yaml")
    return em_vigor[-1]


def somar_meses(d: date, meses: int) -> date:
    """``d`` plus ``meses`` months: the corresponding day, or the month's last day when it has none
    (Código Civil art. 279.º c))."""
    total = d.year * 12 + d.month - 1 + meses
    ano, mes = divmod(total, 12)
    return date(ano, mes + 1, min(d.day, calendar.monthrange(ano, mes + 1)[1]))


@dataclass(frozen=True)
class JanelaCorrecao:
    """Where ``hoje`` stands for correcting month ``ano_mes``."""

    ano_mes: str
    situacao: str              # NO_PRAZO | FORA_DE_PRAZO | EXPIRADO
    limite_no_prazo: date      # art. 26.º n.º 1 (legal date, moved to a working day)
    data_declaracao: date      # art. 21.º n.º 1: confirmation date, or the acceptance limit
    limite_fora_de_prazo: date  # art. 26.º n.º 2 (legal date, moved to a working day)
    fonte: str

    @property
    def fora_de_prazo(self) -> bool:
        return self.situacao == FORA_DE_PRAZO

    def texto(self) -> str:
        """What the operator reads (Portuguese)."""
        if self.situacao == NO_PRAZO:
            return (f"correção no prazo (art. 26.º n.º 1 DR 1-A/2011: até {self.limite_no_prazo.isoformat()})")
        if self.situacao == FORA_DE_PRAZO:
            return (f"correção FORA DE PRAZO (art. 26.º n.º 2 DR 1-A/2011: o prazo normal terminou em "
                    f"{self.limite_no_prazo.isoformat()}; aceite até {self.limite_fora_de_prazo.isoformat()}, "
                    f"considerada para todos os efeitos como efetuada fora de prazo)")
        return (f"correção RECUSADA: o prazo do art. 26.º n.º 2 DR 1-A/2011 terminou em "
                f"{self.limite_fora_de_prazo.isoformat()} (declaração de {self.data_declaracao.isoformat()}); só por "
                f"requerimento com prova aos serviços da Segurança Social (art. 26.º n.º 3)")


def janela(ano_mes: str, hoje: date, data_confirmacao: date | None = None) -> JanelaCorrecao:
    """The correction window of month ``ano_mes`` on ``hoje``. ``data_confirmacao``: the day the month's values were
    confirmed, when they were (art. 21.º n.º 1: the declaration is delivered on that day); else the acceptance limit."""
    ref = AnoMes.parse(ano_mes)
    r = regras(ref)
    m1 = ref.seguinte()
    limite_aceitacao = date(m1.ano, m1.mes, r.dia_limite_aceitacao)
    declaracao = min(data_confirmacao, limite_aceitacao) if data_confirmacao else limite_aceitacao
    fim_m2 = somar_meses(ref.primeiro_dia, r.meses_no_prazo)
    no_prazo = dia_util_seguinte(date(fim_m2.year, fim_m2.month, calendar.monthrange(fim_m2.year, fim_m2.month)[1]))
    fora = dia_util_seguinte(somar_meses(declaracao, r.meses_fora_de_prazo))
    situacao = NO_PRAZO if hoje <= no_prazo else FORA_DE_PRAZO if hoje <= fora else EXPIRADO
    return JanelaCorrecao(str(ref), situacao, no_prazo, declaracao, fora, r.fonte)
