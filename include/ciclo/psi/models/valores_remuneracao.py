"""ASSUMED: the request body of 'Enviar Valores de Remuneração' (mirrors the valores apurados) and its answer."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.psi.models._base import Modelo


class LinhaRemuneracao(Modelo):
    dataInicio: date
    dataFim: date
    natureza: str
    remuneracao: Decimal
    diasTrabalho: Decimal | None = None


class LinhaInatividade(Modelo):
    dataInicio: date
    dataFim: date
    motivo: str


class TrabalhadorValores(Modelo):
    nissTrabalhador: str
    remuneracoes: list[LinhaRemuneracao] = []
    inatividades: list[LinhaInatividade] = []


class ValoresRemuneracao(Modelo):
    anoMes: str
    trabalhadores: list[TrabalhadorValores]


class ComprovativoEntrega(Modelo):
    comprovativoEntrega: str
