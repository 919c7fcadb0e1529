"""ASSUMED: 'Consultar Obrigação Contributiva por Trabalhador' list item."""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ciclo.psi.models._base import Modelo


class ObrigacaoTrabalhador(Modelo):
    nissTrabalhador: int
    totalRemuneracao: Decimal | None = None
    totalContribuicao: Decimal | None = None
    totalReducao: Decimal | None = None
    totalObrigacao: Decimal | None = None


class NissObrigacao(BaseModel):
    """The worker of an ``ObrigacaoTrabalhador`` item, the rest of the item read and not kept (the fetch's list of
    workers: ``PsiClient.niss_obrigacao_trabalhadores``)."""

    model_config = ConfigDict(extra="ignore")

    nissTrabalhador: int
