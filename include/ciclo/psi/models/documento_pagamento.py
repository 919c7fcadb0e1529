"""Payment documents: field names from a public client of the live service; emission/poll paths ASSUMED."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ciclo.psi.models._base import Modelo


class PedidoEmissao(Modelo):
    codigoResultado: int  # 1 accepted, 10 already processing, 11 a valid document already exists
    chave: str
    mensagem: str | None = None


class EstadoPedidoEmissao(Modelo):
    chave: str
    estado: str  # processando | sucesso | sem_valores | expirado


class PagamentoMultibanco(Modelo):
    entidadeMultibanco: str | int
    referenciaMultibanco: str | int


class PagamentoTransferencia(Modelo):
    iban: str


class PagamentoDebitoDireto(Modelo):
    numeroAutorizacao: str | int


class ReferenciaDocumento(Modelo):
    pagamentoMultibanco: PagamentoMultibanco | None = None
    pagamentoTransferenciaBancaria: PagamentoTransferencia | None = None
    pagamentoDebitoDireto: PagamentoDebitoDireto | None = None


class DocumentoPagamento(Modelo):
    tipo: str | None = None
    subtipo: str | None = None
    numeroDocumentoPagamento: str | int
    dataValidade: date | None = None
    valor: Decimal
    referenciaDocumentoPagamento: ReferenciaDocumento | None = None


class ComprovativoPagamento(Modelo):
    numeroDocumentoPagamento: str | int
    dataPagamento: str | None = None
    valor: Decimal | None = None
