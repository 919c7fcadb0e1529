"""Reference month (``ano_mes`` = YYYYMM) and its statutory calendar basics."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_ANO_MES = re.compile(r"^[0-9]{4}(0[1-9]|1[0-2])$")


class AnoMesInvalido(ValueError):
    """``ano_mes`` that is not YYYYMM of a real month."""


@dataclass(frozen=True, order=True)
class AnoMes:
    ano: int
    mes: int

    @classmethod
    def parse(cls, texto: object) -> "AnoMes":
        s = str(texto).strip()
        if not _ANO_MES.match(s):
            # The Segurança Social's own message for this error (specs/consultar-valores-apurados-trabalhador.txt)
            raise AnoMesInvalido("Ano/mês não cumpre os requisitos da estrutura definida YYYYMM")
        ano = int(s[:4])
        if ano < 1900:
            raise AnoMesInvalido("Ano/mês não cumpre os requisitos da estrutura definida YYYYMM")
        return cls(ano, int(s[4:]))

    def __str__(self) -> str:
        return f"{self.ano:04d}{self.mes:02d}"

    @property
    def primeiro_dia(self) -> date:
        return date(self.ano, self.mes, 1)

    @property
    def ultimo_dia(self) -> date:
        return date(self.ano, self.mes, calendar.monthrange(self.ano, self.mes)[1])

    def seguinte(self) -> "AnoMes":
        return AnoMes(self.ano + (self.mes == 12), 1 if self.mes == 12 else self.mes + 1)

    def anterior(self) -> "AnoMes":
        return AnoMes(self.ano - (self.mes == 1), 12 if self.mes == 1 else self.mes - 1)

    def contem(self, d: date) -> bool:
        return self.primeiro_dia <= d <= self.ultimo_dia

    @classmethod
    def de_data(cls, d: date) -> "AnoMes":
        return cls(d.year, d.month)


def valida_ano_mes(texto: object) -> bool:
    try:
        AnoMes.parse(texto)
        return True
    except AnoMesInvalido:
        return False


def data_limite_pagamento(ref: AnoMes) -> date:
    """Statutory payment deadline for month M: day 25 of M+1; when M+1 is August, its last day.

    The ``dataLimitePagamento`` the Segurança Social returns takes precedence over this computed date.
    """
    m1 = ref.seguinte()
    if m1.mes == 8:
        return m1.ultimo_dia
    return date(m1.ano, m1.mes, 25)


def data_limite_confirmacao(ref: AnoMes) -> date:
    """Day 20 of M+1: silence by then counts as acceptance of the valores apurados."""
    m1 = ref.seguinte()
    return date(m1.ano, m1.mes, 20)


# ------------------------------------------------------------------------------------------------ 30-day basis
# The one implementation of the month's day arithmetic, used by the sandbox's apuramento (ciclo.sandbox.engine),
# the internal totals (ciclo.reconciliacao.internos_da_folha), the quality gate and the generator.
#
# DR 1-A/2011 art. 16.º n.º 2 and art. 70.º n.º 1: a month counts 30 days of work. Days of a period inside a month
# are its calendar days, except that a period running to the month's last day takes the days up to 30 (30 − the
# days before it): so the periods that tile a month always add up to 30, whatever its length — February 1–14 and
# 15–28 are 14 + 16 (a mid-month change pays 30 days, not 28), and in a 31-day month 1–15 and 16–31 are 15 + 15.
# Art. 20.º n.º 5: with work and inactivity in the same month, Valor = (Remuneração Base / 30) × days; the days
# of work are those of the periods NOT covered by inactivity (absences merged first: an overlap counts once), so
# an absence on days 2–31 of a 31-day month leaves day 1 — one day of work.


def dias_base30(inicio: date, fim: date) -> int:
    """Days of ``inicio..fim`` (inside one month) on the 30-day basis (see above); a whole month is 30."""
    if fim < inicio:
        raise ValueError("period ends before it starts")
    if (inicio.year, inicio.month) != (fim.year, fim.month):
        raise ValueError(f"period {inicio.isoformat()}..{fim.isoformat()} is not inside one month")
    if fim == AnoMes.de_data(fim).ultimo_dia:
        return 30 - min(inicio.day - 1, 29)
    return min(30, fim.day) - min(inicio.day - 1, 30)


def dias_no_periodo(inicio: date, fim: date) -> int:
    """Days of a period inside a month on the 30-day basis (Art. 16 DR 1-A/2011): a full month is 30.
    Kept for callers; the same as ``dias_base30``."""
    return dias_base30(inicio, fim)


def juntar_periodos(periodos) -> list[tuple[date, date]]:
    """Overlapping or adjacent periods merged (an absence reported twice counts once)."""
    out: list[list[date]] = []
    for a, b in sorted((a, b) for a, b in periodos):
        if out and a <= out[-1][1] + timedelta(days=1):
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def sobreposicoes(periodos) -> list[tuple[int, int]]:
    """Index pairs (i, j), i < j, of periods that share at least one day."""
    idx = sorted(range(len(periodos)), key=lambda k: periodos[k][0])
    pares = []
    for x, i in enumerate(idx):
        for j in idx[x + 1:]:
            if periodos[j][0] > periodos[i][1]:
                break
            pares.append((min(i, j), max(i, j)))
    return sorted(pares)


def dias_trabalho_e_inatividade(inicio: date, fim: date, inatividades) -> tuple[int, int]:
    """(days of work, days of inactivity) of ``inicio..fim`` inside one month on the 30-day basis: work is the
    30-day days of the sub-periods not covered by the (merged) inactivities; inactivity is the rest."""
    total = dias_base30(inicio, fim)
    livre = inicio
    trabalho = 0
    for a, b in juntar_periodos((max(a, inicio), min(b, fim)) for a, b in inatividades if a <= fim and b >= inicio):
        if a > livre:
            trabalho += dias_base30(livre, a - timedelta(days=1))
        livre = b + timedelta(days=1)
    if livre <= fim:
        trabalho += dias_base30(livre, fim)
    return trabalho, total - trabalho


def limitar_a_30(dias: list[int], ja: int = 0) -> list[int]:
    """Declared days of successive periods capped so that their sum stays within 30 (DR 1-A/2011 art. 16.º n.º 2;
    art. 70.º n.º 5: with several vínculos the DAYS are capped — each vínculo's pay is still due in full)."""
    out = []
    for d in dias:
        c = max(0, min(d, 30 - ja))
        out.append(c)
        ja += c
    return out
