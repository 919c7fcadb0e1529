"""Payment documents (``/ptss/rest/ci/...``): one module for every shape of this service.

Evidence (docs/psi-contract.md §ci):
- PUBLIC-CLIENT — diegobarbosa88/atualizacao-app-magnetic-place, ``api/seguranca-social/index.js`` (emission,
  poll, listing, receipts, cancel: paths, codigoResultado values) and ``api/seguranca-social/_soapUtils.js``
  (codigoResultado 4 = no results, also with HTTP 400). The document's field names come from that repository's
  front-end helper ``formatReferencia`` (it reads ``pagamentoTransferenciaBancaria.Iban`` with a capital I, the
  issue's table says ``iban``: both are accepted here).
- ASSUMED — the receipt's fields (``ComprovativoPagamento``); ``swift`` (named by issue 12, not seen in code).

Parsing is tolerant: unknown fields are kept (``Modelo`` has ``extra="allow"``) and ``codigoResultado`` may come
as a number or a string.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field

from ciclo.psi.models._base import Modelo

# Multibanco references are not issued above this amount (PUBLIC-CLIENT/issue 12; DOMAIN.md): the document then
# carries only the bank transfer (IBAN) and the treasury.
LIMITE_MULTIBANCO = Decimal("99999.99")


def _codigo(v: Any) -> int:
    """``codigoResultado`` as an int: the live service sends ``1`` or ``"1"`` depending on the operation."""
    if isinstance(v, bool):
        raise ValueError("codigoResultado must be a number")
    if isinstance(v, str):
        v = v.strip()
    return int(v)


CodigoResultado = Annotated[int, BeforeValidator(_codigo)]


def codigo_resultado(data: Any) -> int | None:
    """The ``codigoResultado`` (or ``codigo-resultado``) of a JSON answer, as an int; None when absent/unreadable."""
    if not isinstance(data, dict):
        return None
    v = data.get("codigoResultado", data.get("codigo-resultado"))
    if v is None:
        return None
    try:
        return _codigo(v)
    except (TypeError, ValueError):
        return None


# codigoResultado values (PUBLIC-CLIENT, index.js)
SUCESSO = 1
SEM_RESULTADOS = 4           # "no results" — never an error, even with HTTP 400 (_soapUtils.js)
REPRESENTACAO_INVALIDA = 7   # cancel: no valid representation
NISS_INVALIDO = 8            # cancel: invalid NISS
EM_PROCESSAMENTO = 10        # emission: a request is already processing / poll: still processing
RESPOSTA_VALIDA_EXISTE = 11  # emission: a valid answer exists (its chave)
CHAVE_DESCONHECIDA = 13      # poll: unknown key (HTTP 404/400)
EXPIRADO = 14                # poll: the request expired — ask again
SEM_VALORES = 15             # poll: processed, nothing to pay
NAO_CANCELAVEL = 17          # cancel: 17 with HTTP 200 = cannot be cancelled; with HTTP 400 = invalid identifier
ERRO_INTERNO = 0


class PedidoEmissao(Modelo):
    """Answer of ``POST /ci/documento-pagamento/pedido-emissao`` (request body ``{"ambito": 11}``).
    1 accepted, 10 a request is already processing, 11 a valid answer exists — all carry the ``chave`` to poll."""

    codigoResultado: CodigoResultado
    chave: str | None = None
    mensagem: str | None = None


class PagamentoMultibanco(Modelo):
    entidadeMultibanco: str | int | None = None
    referenciaMultibanco: str | int | None = None


class PagamentoTransferencia(Modelo):
    iban: str | None = Field(default=None, validation_alias=AliasChoices("iban", "Iban", "IBAN"))
    swift: str | None = Field(default=None, validation_alias=AliasChoices("swift", "Swift", "SWIFT", "bic"))


class PagamentoDebitoDireto(Modelo):
    numeroAutorizacao: str | int | None = None


class ReferenciaDocumento(Modelo):
    pagamentoMultibanco: PagamentoMultibanco | None = None
    pagamentoTransferenciaBancaria: PagamentoTransferencia | None = None
    # the public client's front-end tests ``pagamentoTesouraria === 'S'``: a flag, kept as sent
    pagamentoTesouraria: str | bool | dict | None = None
    pagamentoDebitoDireto: PagamentoDebitoDireto | None = None


class DocumentoPagamento(Modelo):
    tipo: str | None = None
    subtipo: str | None = None
    numeroDocumentoPagamento: str | int
    dataValidade: date | None = None
    valor: Decimal
    referenciaDocumentoPagamento: ReferenciaDocumento | None = None

    @property
    def debito_direto(self) -> bool:
        """Paid by direct debit: the Segurança Social collects it — the employer must not pay it again."""
        ref = self.referenciaDocumentoPagamento
        return bool(ref and ref.pagamentoDebitoDireto and ref.pagamentoDebitoDireto.numeroAutorizacao)

    @property
    def multibanco_disponivel(self) -> bool:
        ref = self.referenciaDocumentoPagamento
        return bool(ref and ref.pagamentoMultibanco and ref.pagamentoMultibanco.referenciaMultibanco)


class ConsultaPedidoEmissao(Modelo):
    """Answer of ``GET /ci/documento-pagamento/consulta-pedido/{chave}``: 10 processing, 14 expired (ask again),
    15 processed with nothing to pay, 1 success with ``resultado[]`` (the documents), 13 unknown key, 0 error."""

    codigoResultado: CodigoResultado
    mensagem: str | None = None
    resultado: list[DocumentoPagamento] = []

    @property
    def em_processamento(self) -> bool:
        return self.codigoResultado == EM_PROCESSAMENTO


class ComprovativoPagamento(Modelo):
    """ASSUMED item of ``GET /ci/comprovativos-pagamento/{ano-pagamento}``: the public client passes the items
    through without naming fields."""

    numeroDocumentoPagamento: str | int
    dataPagamento: date | None = None
    valor: Decimal | None = None


class CancelamentoDocumento(Modelo):
    """Answer of ``PUT /ci/documento-pagamento/{identificador}``: 1 cancelled; 17 (HTTP 200) cannot be cancelled —
    not payable, expired, cancelled or paid."""

    codigoResultado: CodigoResultado
    mensagem: str | None = None

    @property
    def cancelado(self) -> bool:
        return self.codigoResultado == SUCESSO


def itens(data: Any, *chaves: str) -> list:
    """A list answer, tolerant of the wrappers the public client handles: a bare list, or an object carrying it
    under ``resultado`` (or one of ``chaves``); ``codigoResultado`` 4 or nothing → ``[]``."""
    if data in (None, "", {}):
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if codigo_resultado(data) == SEM_RESULTADOS:
            return []
        for k in (*chaves, "resultado"):
            if isinstance(data.get(k), list):
                return data[k]
    raise ValueError("expected a list (or an object with 'resultado')")
