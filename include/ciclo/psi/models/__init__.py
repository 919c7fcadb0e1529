"""Typed payloads of the PSI, one module per external shape.

SPEC (from the primary specs): ``valores_apurados`` (per-worker valores apurados), ``erro``.
ASSUMED (no public source gives the shape; see docs/psi-contract.md) — declared here, in one place each:
``valores_remuneracao`` (request and comprovativo answer), ``valores_comunicados``, ``apuramento_mensal``,
``obrigacao``, ``confirmacao``, ``documento_pagamento``, ``avisos``.
Amounts are ``Decimal`` (responses are parsed with ``parse_float=Decimal``, never through float).
"""

from ciclo.psi.models.apuramento_mensal import ApuramentoMensal
from ciclo.psi.models.avisos import Aviso
from ciclo.psi.models.confirmacao import Confirmacao
from ciclo.psi.models.documento_pagamento import (
    ComprovativoPagamento, DocumentoPagamento, EstadoPedidoEmissao, PedidoEmissao,
)
from ciclo.psi.models.erro import ErroPsi
from ciclo.psi.models.obrigacao import ObrigacaoTrabalhador
from ciclo.psi.models.valores_apurados import ValoresApuradosTrabalhador
from ciclo.psi.models.valores_comunicados import Alerta, Comprovativo, ComprovativoDetalhe, PorProcessar
from ciclo.psi.models.valores_remuneracao import ComprovativoEntrega, ValoresRemuneracao

ASSUMED = ("ValoresRemuneracao", "ComprovativoEntrega", "PorProcessar", "Comprovativo", "ComprovativoDetalhe", "Alerta",
           "ApuramentoMensal", "ObrigacaoTrabalhador", "Confirmacao", "PedidoEmissao", "EstadoPedidoEmissao",
           "DocumentoPagamento", "ComprovativoPagamento", "Aviso")

__all__ = [*ASSUMED, "ValoresApuradosTrabalhador", "ErroPsi", "ASSUMED"]
