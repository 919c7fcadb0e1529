"""ASSUMED: monthly valores apurados of an EE (what the apuramento wait polls)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.psi.models._base import Modelo


class ApuramentoMensal(Modelo):
    anoMes: str
    nissEntidadeEmpregadora: int | str | None = None
    estado: str  # SEM_VALORES | EM_APURAMENTO | APURADO | CONFIRMADO
    numeroTrabalhadores: int | None = None
    totalRemuneracao: Decimal | None = None
    totalContribuicao: Decimal | None = None
    totalReducao: Decimal | None = None
    totalObrigacao: Decimal | None = None
    dataLimitePagamento: date | None = None
    dataApuramento: str | None = None
