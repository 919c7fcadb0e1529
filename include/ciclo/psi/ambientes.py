"""PSI environments, selected by configuration (an Airflow Connection's host/extra, or ``CICLO_PSI_AMBIENTE``).

Hosts from DOMAIN.md §1 / specs/psi-endpoints.txt. The REST base path is ``/ptss/rest``; SOAP services live
under ``/ws/contrato/v1/...``. The sandbox serves both on one host.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ambiente:
    nome: str
    rest_host: str
    soap_host: str

    @property
    def rest_base(self) -> str:
        return f"{self.rest_host.rstrip('/')}/ptss/rest"

    def soap_endpoint(self, servico: str = "alterarContratoTrabalho") -> str:
        return f"{self.soap_host.rstrip('/')}/ws/contrato/v1/{servico}"


QUALIDADE = Ambiente("qualidade", "https://extwww.seg-social.pt", "https://extservices.seg-social.pt")
PRODUCAO = Ambiente("producao", "https://app.seg-social.pt", "https://app.seg-social.pt")
SANDBOX_PADRAO = Ambiente("sandbox", "http://127.0.0.1:8765", "http://127.0.0.1:8765")

_ALIASES = {"qualidade": QUALIDADE, "quality": QUALIDADE, "producao": PRODUCAO, "produção": PRODUCAO, "production": PRODUCAO}


def resolver(nome_ou_url: str | None) -> Ambiente:
    """``'qualidade'``, ``'producao'``, ``'sandbox'`` or a base URL (sandbox on another port, a proxy...)."""
    if not nome_ou_url or nome_ou_url == "sandbox":
        return SANDBOX_PADRAO
    chave = nome_ou_url.strip().lower()
    if chave in _ALIASES:
        return _ALIASES[chave]
    if chave.startswith(("http://", "https://")):
        url = nome_ou_url.rstrip("/")
        for sufixo in ("/ptss/rest", "/ptss"):
            if url.endswith(sufixo):
                url = url[: -len(sufixo)]
        return Ambiente("personalizado", url, url)
    raise ValueError(f"unknown PSI environment {nome_ou_url!r}: use qualidade, producao, sandbox or a base URL")
