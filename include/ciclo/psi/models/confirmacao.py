"""ASSUMED: 'Confirmar Valores Apurados' answer (request body is {"anoMes": "YYYYMM"})."""
from ciclo.psi.models._base import Modelo


class Confirmacao(Modelo):
    anoMes: str
    confirmado: bool
    dataConfirmacao: str | None = None
    jaConfirmado: bool = False
