"""SPEC: error body ``{"code": <status>, "message": "<text>"}``."""
from ciclo.psi.models._base import Modelo


class ErroPsi(Modelo):
    code: int | None = None
    message: str | None = None
