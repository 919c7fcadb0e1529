"""ASSUMED: 'Consultar Obrigação Contributiva por Trabalhador' list item."""
from __future__ import annotations

from decimal import Decimal

from ciclo.psi.models._base import Modelo


class ObrigacaoTrabalhador(Modelo):
    nissTrabalhador: int
    totalRemuneracao: Decimal | None = None
    totalContribuicao: Decimal | None = None
    totalReducao: Decimal | None = None
    totalObrigacao: Decimal | None = None
