"""Reference month (``ano_mes`` = YYYYMM) and its statutory calendar basics."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

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


def dias_no_periodo(inicio: date, fim: date) -> int:
    """Days of a period inside a month on the 30-day basis (Art. 16 DR 1-A/2011): a full month is 30."""
    if fim < inicio:
        raise ValueError("period ends before it starts")
    ref = AnoMes.de_data(inicio)
    if inicio == ref.primeiro_dia and fim == ref.ultimo_dia:
        return 30
    return min(30, (fim - inicio).days + 1)
