"""Contribution rates by enquadramento, loaded from dated data (``ciclo/data/taxas.yaml``), never hard-coded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import yaml

from ciclo.domain.dinheiro import percentagem


@dataclass(frozen=True)
class Taxa:
    codigo: str
    descricao: str  # the Segurança Social's wording, as returned in ``enquadramento``
    contribuicao: Decimal  # employer, percent
    cotizacao: Decimal  # worker, percent
    desde: date

    def valores(self, remuneracao: Decimal) -> tuple[Decimal, Decimal]:
        """(cotização, contribuição) on ``remuneracao``, each half-up to cents."""
        return percentagem(remuneracao, self.cotizacao), percentagem(remuneracao, self.contribuicao)


class EnquadramentoDesconhecido(KeyError):
    pass


@lru_cache(maxsize=1)
def _versoes() -> tuple[tuple[date, dict[str, Taxa]], ...]:
    texto = resources.files("ciclo.data").joinpath("taxas.yaml").read_text(encoding="utf-8")
    versoes = []
    for entrada in yaml.safe_load(texto):
        desde = date.fromisoformat(str(entrada["desde"]))
        tabela = {}
        for e in entrada["enquadramentos"]:
            t = Taxa(e["codigo"], e["descricao"], Decimal(str(e["contribuicao"])), Decimal(str(e["cotizacao"])), desde)
            tabela[t.codigo] = t
        versoes.append((desde, tabela))
    versoes.sort(key=lambda v: v[0])
    return tuple(versoes)


def tabela_em(dia: date) -> dict[str, Taxa]:
    """The rates table in force on ``dia``."""
    em_vigor = [tabela for desde, tabela in _versoes() if desde <= dia]
    if not em_vigor:
        raise LookupError(f"no contribution rates in force on {dia.isoformat()}")
    return em_vigor[-1]


def taxa(enquadramento: str, dia: date) -> Taxa:
    """Look up by code (``REGIME_GERAL``) or by the Segurança Social's description (``Regime geral``)."""
    tabela = tabela_em(dia)
    if enquadramento in tabela:
        return tabela[enquadramento]
    for t in tabela.values():
        if t.descricao.casefold() == str(enquadramento).casefold():
            return t
    raise EnquadramentoDesconhecido(f"enquadramento desconhecido: {enquadramento!r}")
