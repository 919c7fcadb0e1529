"""ASSUMED (lists SPEC): valores comunicados por processar, comprovativos, alertas."""
from __future__ import annotations

from typing import Any

from ciclo.psi.models._base import Modelo


class PorProcessar(Modelo):
    semAlertas: list[str] = []
    comAlertas: list[str] = []


class Comprovativo(Modelo):
    comprovativoEntrega: str
    anoMes: str | None = None
    dataHoraEntrega: str | None = None
    estado: str | None = None
    numeroTrabalhadores: int | None = None
    comAlertas: bool | None = None


class ComprovativoDetalhe(Comprovativo):
    trabalhadores: list[dict[str, Any]] = []


class Alerta(Modelo):
    comprovativoEntrega: str | None = None
    anoMes: str | None = None
    nissTrabalhador: int | str | None = None
    codigo: str | None = None
    mensagem: str | None = None
