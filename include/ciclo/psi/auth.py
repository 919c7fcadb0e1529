"""Credentials for the PSI: HTTP Basic ``NISS:password`` or ``Bearer <JWT>`` (both REST and SOAP).

The secret never appears in ``repr``/``str`` (so it cannot leak through logs or exception texts).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Credenciais:
    niss: str
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self):
        if not self.password and not self.token:
            raise ValueError(f"credentials for NISS {self.niss} need a password or a Bearer token")

    @property
    def esquema(self) -> str:
        return "Bearer" if self.token else "Basic"

    def authorization(self) -> str:
        """The value of the ``Authorization`` header. Never log it."""
        if self.token:
            return f"Bearer {self.token}"
        raw = f"{self.niss}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def segredos(self) -> list[str]:
        """Every secret string derived from these credentials (for Airflow's secret masker)."""
        out = [s for s in (self.password, self.token) if s]
        out.append(self.authorization().split(" ", 1)[1])
        return out

    def httpx_auth(self) -> httpx.Auth:
        return _HeaderAuth(self.authorization())


class _HeaderAuth(httpx.Auth):
    def __init__(self, valor: str):
        self._valor = valor

    def auth_flow(self, request):
        request.headers["Authorization"] = self._valor
        yield request

    def __repr__(self) -> str:
        return "<PSI auth ***>"
