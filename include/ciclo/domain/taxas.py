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
    fonte: str = ""

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
            t = Taxa(e["codigo"], e["descricao"], Decimal(str(e["contribuicao"])), Decimal(str(e["cotizacao"])), desde,
                     str(e.get("fonte") or ""))
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


def enquadramento_do_mes(atual: str, ref, anterior: str | None = None, desde: date | None = None) -> str:
    """The enquadramento whose rate applies in month ``ref``: a change of enquadramento (``atual`` from ``desde``)
    during the month takes effect from the following month — DR 1-A/2011 art. 13.º-A n.º 2: "a alteração da taxa
    contributiva aplicável [...] produz efeitos a partir do mês seguinte ao da verificação do facto determinante"."""
    if anterior and desde is not None and ref.primeiro_dia < desde <= ref.ultimo_dia:
        return anterior
    return atual


# ------------------------------------------------------------------------------------------------ reductions


@dataclass(frozen=True)
class Reducao:
    codigo: str
    descricao: str
    percentagem: Decimal  # of the employer's contribution
    fonte: str

    def valor(self, contribuicao: Decimal) -> Decimal:
        """The part of the employer's contribution waived, half-up to cents."""
        return percentagem(contribuicao, self.percentagem)


class ReducaoDesconhecida(KeyError):
    pass


@lru_cache(maxsize=1)
def _reducoes() -> tuple[tuple[date, dict[str, Reducao]], ...]:
    texto = resources.files("ciclo.data").joinpath("reducoes.yaml").read_text(encoding="utf-8")
    out = []
    for entrada in yaml.safe_load(texto):
        tabela = {r["codigo"]: Reducao(r["codigo"], r["descricao"], Decimal(str(r["percentagem"])), r["fonte"])
                  for r in entrada["reducoes"]}
        out.append((date.fromisoformat(str(entrada["desde"])), tabela))
    out.sort(key=lambda v: v[0])
    return tuple(out)


def reducao(codigo: str, dia: date) -> Reducao:
    """The reduction ``codigo`` in force on ``dia`` (ciclo/data/reducoes.yaml)."""
    em_vigor = [t for desde, t in _reducoes() if desde <= dia]
    if not em_vigor or codigo not in em_vigor[-1]:
        raise ReducaoDesconhecida(f"redução desconhecida em {dia.isoformat()}: {codigo!r} (ver ciclo/data/reducoes.yaml)")
    return em_vigor[-1][codigo]
