"""Subject and exempt parts of a remuneration line (what is declared is the part subject to contributions).

ISS, Guia Prático da Declaração de Remunerações: the declaration carries "o valor da remuneração que está sujeita a
descontos". Per natureza:

* R (subsídio de refeição): subject only above the daily legal limit × the days it was paid — the public
  administration's figure when paid in cash (``D``), a higher one when paid by card or voucher (``C``)
  (Código dos Regimes Contributivos art. 46.º n.º 2; CIRS art. 2.º n.º 3 b) 2)). Limits: ``ciclo/data/limites.yaml``.
* A (ajudas de custo / transporte) and D (compensação por cessação): subject only in a part this product cannot
  derive (limits by category, distance, how the contract ended): the payroll must give it (``valor_sujeito``).
* H (honorários): not part of this declaration at all (DR 1-A/2011 art. 20.º n.º 4) — see ``naturezas``.
* every other natureza: subject in full.

A payroll's own subject part (``valor_sujeito``) is used when present, after checking it against the limits.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import yaml

from ciclo.domain.dinheiro import ZERO, cent

PAGAMENTOS_REFEICAO = {"D": "numerário (com o vencimento)", "C": "cartão ou vales de refeição"}
# Naturezas whose subject part must come from the payroll (no single legal figure; see limites.yaml).
SUJEITO_DA_FOLHA = {"A": "ajudas de custo / transporte: limites por categoria e distância (DL 106/98, DL 137/2010)",
                    "D": "compensação por cessação: parte sujeita conforme a forma de cessação (Código art. 46.º n.º 2)"}
COM_PARTE_ISENTA = {"R"} | set(SUJEITO_DA_FOLHA)


class LimitesEmFalta(LookupError):
    """No legal limits are recorded (and confirmed) for the day asked: add them to ciclo/data/limites.yaml."""


class IncidenciaInvalida(ValueError):
    """A line whose subject part cannot be determined (says which field is missing or wrong)."""


class ParteSujeitaEmFalta(IncidenciaInvalida):
    """What is needed to know the subject part is missing (payment form of R, ``valor_sujeito`` of A/D, days)."""


class ParteSujeitaIncoerente(IncidenciaInvalida):
    """The payroll's own subject part contradicts the law or the line (below the legal minimum, above the gross)."""


@dataclass(frozen=True)
class LimitesRefeicao:
    desde: date
    dinheiro_dia: Decimal
    cartao_dia: Decimal
    fonte: str
    # set when the day asked is after ``confirmado_ate``: the figures are the last published ones, still in force
    # (a Portaria's amount applies until another replaces it), but nobody has checked that no newer one exists
    nao_confirmado: str | None = None

    def por_dia(self, pagamento: str) -> Decimal:
        return self.dinheiro_dia if pagamento == "D" else self.cartao_dia


@lru_cache(maxsize=1)
def _dados() -> tuple[date, tuple[LimitesRefeicao, ...]]:
    texto = resources.files("ciclo.data").joinpath("limites.yaml").read_text(encoding="utf-8")
    d = yaml.safe_load(texto)
    versoes = []
    for v in d["versoes"]:
        r = v["subsidio_refeicao"]
        versoes.append(LimitesRefeicao(date.fromisoformat(str(v["desde"])), Decimal(str(r["dinheiro_dia"])),
                                       Decimal(str(r["cartao_dia"])), str(r["fonte"])))
    versoes.sort(key=lambda x: x.desde)
    return date.fromisoformat(str(d["confirmado_ate"])), tuple(versoes)


def limites_refeicao(dia: date) -> LimitesRefeicao:
    """The meal-allowance limits in force on ``dia``: the last version of ``limites.yaml`` from before it.
    ``LimitesEmFalta`` before the first recorded version.

    After ``confirmado_ate`` the last version is still the one in force: the amount is set by Portaria (Decreto-Lei
    57-B/84) and stays until a new one replaces it. But a new Portaria may come with retroactive effect, as Portaria
    51-B/2026/1 did (published on 30 January 2026, in force from 1 January). So those limits come back with
    ``nao_confirmado`` set: the quality gate warns (DQ-ISE-04) and the month can be corrected once the new figure is
    known. Blocking instead would stop every payroll with a meal allowance each January until the Portaria came
    out, while the law in force is known."""
    confirmado_ate, versoes = _dados()
    em_vigor = [v for v in versoes if v.desde <= dia]
    if not em_vigor:
        raise LimitesEmFalta(
            f"sem limites legais do subsídio de refeição para {dia.isoformat()} (registados desde "
            f"{versoes[0].desde.isoformat()}): acrescente os valores em vigor, com a fonte, a ciclo/data/limites.yaml")
    lim = em_vigor[-1]
    if dia > confirmado_ate:
        return dataclasses.replace(lim, nao_confirmado=(
            f"limites do subsídio de refeição confirmados até {confirmado_ate.isoformat()}: para {dia.isoformat()} "
            f"aplicam-se os últimos publicados, ainda em vigor ({lim.fonte}: {lim.dinheiro_dia} € em numerário, "
            f"{lim.cartao_dia} € em cartão/vales por dia); se uma nova portaria os alterar com efeitos a este mês, "
            f"corrija-o, e registe os novos valores em ciclo/data/limites.yaml"))
    return lim


@dataclass(frozen=True)
class Incidencia:
    bruto: Decimal
    isento: Decimal
    sujeito: Decimal
    fonte: str
    aviso: str | None = None   # the limits used are not confirmed for the month (``LimitesRefeicao.nao_confirmado``)


def minimo_sujeito_refeicao(valor: Decimal, dias, pagamento: str, dia: date) -> tuple[Decimal, str, str | None]:
    """The part of a meal allowance above the legal limit × days (the least that must be declared), the source,
    and the warning when the limits are not confirmed for ``dia`` (``limites_refeicao``)."""
    if pagamento not in PAGAMENTOS_REFEICAO:
        raise ParteSujeitaEmFalta(f"forma de pagamento do subsídio de refeição {pagamento!r} inválida (D ou C)")
    if dias is None:
        raise ParteSujeitaEmFalta("subsídio de refeição sem dias: o limite legal é diário")
    lim = limites_refeicao(dia)
    isento = min(cent(valor), cent(lim.por_dia(pagamento) * Decimal(dias)))
    return cent(valor) - isento, f"{lim.fonte}: {lim.por_dia(pagamento)} €/dia × {dias}", lim.nao_confirmado


def incidencia(natureza: str, valor: Decimal, dia: date, *, dias=None, pagamento_refeicao: str | None = None,
               valor_sujeito: Decimal | None = None) -> Incidencia:
    """Gross, exempt and subject parts of one line of ``natureza`` paid for the month of ``dia``."""
    bruto = cent(valor)
    if natureza == "R":
        if pagamento_refeicao is None and valor_sujeito is None:
            raise ParteSujeitaEmFalta("subsídio de refeição sem forma de pagamento (D numerário, C cartão/vales) "
                                     "nem parte sujeita calculada pela folha")
        aviso = None
        if pagamento_refeicao is not None:
            minimo, fonte, aviso = minimo_sujeito_refeicao(bruto, dias, pagamento_refeicao, dia)
        else:
            minimo, fonte = None, "parte sujeita calculada pela folha"
        if valor_sujeito is None:
            sujeito = minimo
        else:
            sujeito = cent(valor_sujeito)
            if not ZERO <= sujeito <= bruto:
                raise ParteSujeitaIncoerente(f"parte sujeita {sujeito} fora de 0..{bruto}")
            if minimo is not None and sujeito < minimo:
                raise ParteSujeitaIncoerente(f"parte sujeita {sujeito} abaixo do mínimo legal {minimo} ({fonte})")
            fonte = "parte sujeita calculada pela folha"
        return Incidencia(bruto, bruto - sujeito, sujeito, fonte, aviso)
    if natureza in SUJEITO_DA_FOLHA:
        if valor_sujeito is None:
            raise ParteSujeitaEmFalta(f"natureza {natureza} sem parte sujeita (valor_sujeito): {SUJEITO_DA_FOLHA[natureza]}")
        sujeito = cent(valor_sujeito)
        if not ZERO <= sujeito <= bruto:
            raise ParteSujeitaIncoerente(f"parte sujeita {sujeito} fora de 0..{bruto}")
        return Incidencia(bruto, bruto - sujeito, sujeito, "parte sujeita calculada pela folha")
    if valor_sujeito is not None and cent(valor_sujeito) != bruto:
        raise ParteSujeitaIncoerente(f"natureza {natureza} é sujeita na totalidade: parte sujeita {cent(valor_sujeito)} ≠ {bruto}")
    return Incidencia(bruto, ZERO, bruto, "sujeita na totalidade (Código art. 46.º)")
