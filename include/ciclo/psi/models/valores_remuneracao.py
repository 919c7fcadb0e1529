"""ASSUMED (docs/psi-contract.md): the request body of 'Enviar Valores de Remuneração' (mirrors the valores
apurados) and its answer ``{"comprovativoEntrega": "<uuid>"}``.

The constraints here are the wire's own (amount ≥ 0 with at most two decimals, days 0..30, YYYYMM); the
payroll rules (30-day basis across contracts, periods inside the month...) live in the data-quality checks.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field

from ciclo.psi.models._base import Modelo

# requests accept the NISS as an 11-digit string or an integer (docs/psi-contract.md); sent as a string
NissTexto = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v), Field(pattern=r"^\d{11}$")]


class LinhaRemuneracao(Modelo):
    dataInicio: date
    dataFim: date
    natureza: str
    remuneracao: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    diasTrabalho: Annotated[Decimal, Field(ge=0, le=30)] | None = None


class LinhaInatividade(Modelo):
    dataInicio: date
    dataFim: date
    motivo: str


class TrabalhadorValores(Modelo):
    nissTrabalhador: NissTexto
    remuneracoes: list[LinhaRemuneracao] = []
    inatividades: list[LinhaInatividade] = []


class ValoresRemuneracao(Modelo):
    anoMes: Annotated[str, Field(pattern=r"^\d{6}$")]
    trabalhadores: list[TrabalhadorValores]


class ComprovativoEntrega(Modelo):
    comprovativoEntrega: str
