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
  * ``obrigacao``: ``ObrigacaoTrabalhador`` (``NissObrigacao``: its worker only)
  * ``confirmacao``: ``Confirmacao`` (request body ``{"anoMes"}``)
  * ``documento_pagamento``: ``ComprovativoPagamento`` (receipt fields)
  * ``pedido``: ``MotivoPedido``, ``PedidoCorrecao`` (request body), ``AnulacaoValor`` (request body), ``Pedido``
    (answer) — corrections of earlier months (art. 26.º); paths SPEC, everything else ASSUMED

PUBLIC-CLIENT (diegobarbosa88/atualizacao-app-magnetic-place, api/seguranca-social/index.js and _soapUtils.js):
  * ``documento_pagamento``: ``PedidoEmissao``, ``ConsultaPedidoEmissao``, ``DocumentoPagamento``,
    ``CancelamentoDocumento`` (paths and codigoResultado values; see the module docstring)
  * ``avisos``: ``Aviso`` (path PUBLIC-CLIENT; item fields resumoAviso/descricaoAviso per issue 12)
The tuple ``ASSUMED`` below names them for code (e.g. to flag ASSUMED data in reports).

Amounts are ``Decimal``: answers are parsed with ``jsonexato.loads`` (``json.loads(..., parse_float=Decimal)``),
never through float, and written with ``Modelo.json_exato()`` (``Decimal('1600.00')`` → ``1600.00``).
"""

from ciclo.psi.models.apuramento_mensal import ApuramentoMensal
from ciclo.psi.models.avisos import Aviso
from ciclo.psi.models.confirmacao import Confirmacao
from ciclo.psi.models.documento_pagamento import (
    CancelamentoDocumento, ComprovativoPagamento, ConsultaPedidoEmissao, DocumentoPagamento, PedidoEmissao,
)
from ciclo.psi.models.erro import ErroPsi
from ciclo.psi.models.obrigacao import NissObrigacao, ObrigacaoTrabalhador
from ciclo.psi.models.pedido import AnulacaoValor, MotivoPedido, Pedido, PedidoCorrecao
from ciclo.psi.models.valores_apurados import ValoresApuradosTrabalhador
from ciclo.psi.models.valores_comunicados import Alerta, Comprovativo, ComprovativoDetalhe, PorProcessar
from ciclo.psi.models.valores_remuneracao import ComprovativoEntrega, ValoresRemuneracao

ASSUMED = ("ValoresRemuneracao", "ComprovativoEntrega", "PorProcessar", "Comprovativo", "ComprovativoDetalhe", "Alerta",
           "ApuramentoMensal", "ObrigacaoTrabalhador", "Confirmacao", "ComprovativoPagamento",
           "MotivoPedido", "PedidoCorrecao", "AnulacaoValor", "Pedido")
PUBLIC_CLIENT = ("PedidoEmissao", "ConsultaPedidoEmissao", "DocumentoPagamento", "CancelamentoDocumento", "Aviso")

__all__ = [*ASSUMED, *PUBLIC_CLIENT, "ValoresApuradosTrabalhador", "ErroPsi", "ASSUMED", "PUBLIC_CLIENT"]
