"""SPEC: valores apurados por trabalhador (specs/consultar-valores-apurados-trabalhador.txt), exact field names."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.psi.models._base import Modelo


class Inatividade(Modelo):
    dataInicio: date | None = None
    dataFim: date | None = None
    motivo: str | None = None


class Remuneracao(Modelo):
    dataInicio: date | None = None
    dataFim: date | None = None
    natureza: str
    remuneracao: Decimal
    diasTrabalho: Decimal | None = None
    origem: str | None = None  # SEGURANCA_SOCIAL | ENTIDADE_EMPREGADORA
    diasInatividade: Decimal | None = None
    inatividades: list[Inatividade] = []


class Contribuicao(Modelo):
    dataInicio: date | None = None
    dataFim: date | None = None
    enquadramento: str
    valorCotizacao: Decimal
    taxaCotizacao: Decimal
    valorComplementarCotizacao: Decimal = Decimal(0)
    taxaComplementarCotizacao: Decimal = Decimal(0)
    valorContribuicao: Decimal
    taxaContribuicao: Decimal
    valorComplementarContribuicao: Decimal = Decimal(0)
    taxaComplementarContribuicao: Decimal = Decimal(0)
    obrigacao: Decimal


class ValorDataLimite(Modelo):
    valor: Decimal
    dataLimitePagamento: date


class DetalheContribuicao(Modelo):
    natureza: str | None = None
    enquadramento: str | None = None
    motivo: str | None = None  # MENSAL | SECTOR_FUNDO | AGRAVAMENTO
    tipo: str | None = None  # Contribuicao | Cotizacao
    valor: Decimal
    valoresDataLimitePagamento: list[ValorDataLimite] = []


class ValoresApuradosTrabalhador(Modelo):
    anoMes: str
    nissTrabalhador: int
    totalRemuneracao: Decimal
    totalContribuicao: Decimal
    totalReducao: Decimal
    totalObrigacao: Decimal
    remuneracoes: list[Remuneracao] = []
    contribuicoes: list[Contribuicao] = []
    detalhesContribuicao: list[DetalheContribuicao] = []
