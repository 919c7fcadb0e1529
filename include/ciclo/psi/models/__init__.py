"""Typed payloads of the PSI, one module per external shape (docs/psi-contract.md).

SPEC (exact field names from the primary specs):
  * ``valores_apurados.ValoresApuradosTrabalhador`` — specs/consultar-valores-apurados-trabalhador.txt
  * ``erro.ErroPsi`` — ``{"code", "message"}``

ASSUMED — no public source gives these shapes. This list is the one place they are declared; each lives in its
own module, so that it changes in one edit when the official ``openapi_EEAOC.yaml`` is obtained:
  * ``valores_remuneracao``: ``ValoresRemuneracao`` (request body), ``ComprovativoEntrega`` (its answer)
  * ``valores_comunicados``: ``PorProcessar`` (lists SPEC, filters ASSUMED), ``Comprovativo``,
    ``ComprovativoDetalhe``, ``Alerta``
  * ``apuramento_mensal``: ``ApuramentoMensal`` (monthly and annual valores apurados of an EE)
  * ``obrigacao``: ``ObrigacaoTrabalhador``
  * ``confirmacao``: ``Confirmacao`` (request body ``{"anoMes"}``)
  * ``documento_pagamento``: ``PedidoEmissao``, ``EstadoPedidoEmissao``, ``DocumentoPagamento``,
    ``ComprovativoPagamento`` (field names from a public client of the live service; poll paths ASSUMED)
  * ``avisos``: ``Aviso``
The tuple ``ASSUMED`` below names them for code (e.g. to flag ASSUMED data in reports).

Amounts are ``Decimal``: answers are parsed with ``jsonexato.loads`` (``json.loads(..., parse_float=Decimal)``),
never through float, and written with ``Modelo.json_exato()`` (``Decimal('1600.00')`` → ``1600.00``).
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
