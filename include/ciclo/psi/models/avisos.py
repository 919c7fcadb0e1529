"""ASSUMED: 'Consultar Avisos' list item."""
from ciclo.psi.models._base import Modelo


class Aviso(Modelo):
    id: str | int | None = None
    data: str | None = None
    anoMes: str | None = None
    tipo: str | None = None
    mensagem: str | None = None
