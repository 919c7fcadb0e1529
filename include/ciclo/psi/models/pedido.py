"""ASSUMED (docs/psi-contract.md §Pedidos): the Pedidos of the eeaoc service — corrections of the elements declared
for an earlier month (DR 1-A/2011 art. 26.º).

The paths are SPEC (specs/psi-endpoints.txt: Consultar Lista de Motivos, Criar Pedido, Consultar Pedidos, Consultar
Detalhe do Pedido, Atualizar Pedido, Anular Valor Pedido de Remuneração). Neither the specs nor any public client
(searched 2026-11-22: diegobarbosa88/atualizacao-app-magnetic-place calls no ``eeaoc/pedido`` route) show the HTTP
methods, bodies or answers, so every shape below is ASSUMED and mirrors the valores de remuneração
(``valores_remuneracao.py``): a Pedido carries, for one ``anoMes``, the complete new values of each worker it
corrects (replacing that worker's communicated values when it is accepted), plus a ``motivo`` from the motivos
list and a free-text ``fundamentacao``. Change them here, in one edit, when the official ``openapi_EEAOC.yaml`` is
obtained.

States (ASSUMED): ``SUBMETIDO`` → ``EM_ANALISE`` → ``DEFERIDO`` (accepted: the SS re-runs the month's apuramento) or
``INDEFERIDO`` (refused, with ``fundamentacaoDecisao``); ``ANULADO`` is not used by the pipeline.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ciclo.psi.models._base import Modelo
from ciclo.psi.models.valores_remuneracao import NissTexto, TrabalhadorValores

ESTADOS_EM_CURSO = ("SUBMETIDO", "EM_ANALISE")
ESTADOS_FINAIS = ("DEFERIDO", "INDEFERIDO", "ANULADO")


class MotivoPedido(Modelo):
    """An item of ``GET .../pedido/entidade-empregadora/{niss-ee}/motivos``."""

    codigo: str
    descricao: str | None = None


class PedidoCorrecao(Modelo):
    """Request body of 'Criar Pedido' (``POST .../pedido/entidade-empregadora/{niss-ee}``) and, without ``anoMes``
    changes, of 'Atualizar Pedido' (``PUT .../pedido/{numero-pedido}``)."""

    anoMes: Annotated[str, Field(pattern=r"^\d{6}$")]
    motivo: str
    fundamentacao: str | None = None
    trabalhadores: list[TrabalhadorValores]


class AnulacaoValor(Modelo):
    """Request body of 'Anular Valor Pedido de Remuneração'
    (``POST .../pedido/anular-valor-remuneracao/{niss-ee}/{numero-pedido}``): the worker whose communicated values
    of the month the Pedido annuls (all of them, or one ``natureza``)."""

    nissTrabalhador: NissTexto
    natureza: str | None = None


class Pedido(Modelo):
    """A Pedido as 'Criar', 'Consultar Pedidos' (items), 'Consultar Detalhe' and 'Atualizar' answer it. The list items
    may omit ``trabalhadores``."""

    numeroPedido: str
    anoMes: str
    estado: str
    motivo: str | None = None
    dataPedido: str | None = None
    dataDecisao: str | None = None
    foraDePrazo: bool | None = None
    fundamentacao: str | None = None
    fundamentacaoDecisao: str | None = None
    trabalhadores: list[TrabalhadorValores] | None = None
    anulacoes: list[AnulacaoValor] | None = None

    @property
    def em_curso(self) -> bool:
        return self.estado in ESTADOS_EM_CURSO
