"""Credentials for the PSI: HTTP Basic ``NISS:password`` or ``Bearer <JWT>`` (both REST and SOAP).

The secret never appears in ``repr``/``str`` (so it cannot leak through logs or exception texts).

Representation (issue 12; PUBLIC-CLIENT diegobarbosa88/atualizacao-app-magnetic-place, index.js): an accounting
office holds one credential — its own NISS (or a sub-user of it) — and acts for many employers. The REST ``eeaoc``
paths carry the employer's NISS; the ``ci/`` calls identify the employer from the credential, and a representative
names the employer it acts for with ``niss-representado``. ``tipo`` says which kind of credential this is:
``"EE"`` (the employer's own) or ``"REPRESENTANTE"``. The SOAP contract service authenticates as the employer
itself: ``exigir_credencial_propria`` stops a representative's credential before any SOAP call.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx

from ciclo.psi.errors import PsiCredencialInadequada

TIPOS = ("EE", "REPRESENTANTE")
AVISO_EXPIRACAO = timedelta(days=7)


@dataclass(frozen=True)
class Credenciais:
    niss: str
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    tipo: str = "EE"

    def __post_init__(self):
        if not self.password and not self.token:
            raise ValueError(f"credentials for NISS {self.niss} need a password or a Bearer token")
        if self.tipo not in TIPOS:
            raise ValueError(f"credential type for NISS {self.niss} must be one of {', '.join(TIPOS)}, not {self.tipo!r}")

    @property
    def esquema(self) -> str:
        return "Bearer" if self.token else "Basic"

    @property
    def representante(self) -> bool:
        return self.tipo == "REPRESENTANTE"

    def propria_de(self, niss_ee: str) -> bool:
        """True when these are the employer's own credentials (not a representative's)."""
        return not self.representante and str(niss_ee) == str(self.niss)

    def niss_representado(self, niss_ee: str | None) -> str | None:
        """The ``niss-representado`` a ``ci/`` call must carry to act for ``niss_ee``; None when acting for itself."""
        if niss_ee is None or str(niss_ee) == str(self.niss):
            return None
        return str(niss_ee)

    @property
    def expira_em(self) -> datetime | None:
        """Expiry of the Bearer token (its JWT ``exp``), None for Basic or a token without a readable ``exp``."""
        return jwt_expira_em(self.token) if self.token else None

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


def jwt_expira_em(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT as an aware UTC datetime, without checking the signature (only the Segurança
    Social can; this is for warning the operator ahead of time). None when the token is not a JWT or has no
    numeric ``exp`` — opaque tokens exist. Never raises on a malformed token and never echoes it."""
    partes = token.split(".")
    if len(partes) != 3:
        return None
    carga = partes[1] + "=" * (-len(partes[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(carga.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    return datetime.fromtimestamp(exp, tz=timezone.utc)


def aviso_expiracao(credenciais: Credenciais, agora: datetime | None = None,
                    antecedencia: timedelta = AVISO_EXPIRACAO) -> str | None:
    """A warning for the operator when the Bearer token has expired or expires within ``antecedencia`` (a week),
    else None. Names the NISS and the date, never the token."""
    exp = credenciais.expira_em
    if exp is None:
        return None
    agora = agora or datetime.now(timezone.utc)
    quando = exp.strftime("%Y-%m-%d %H:%M UTC")
    if exp <= agora:
        return (f"the PSI Bearer token of NISS {credenciais.niss} expired on {quando}: create a new one in Segurança "
                f"Social Direta (Gestão de autenticação → Tokens de acesso) and update the connection")
    if exp - agora <= antecedencia:
        dias = round((exp - agora).total_seconds() / 86400)
        return (f"the PSI Bearer token of NISS {credenciais.niss} expires on {quando} (in {dias} day(s)): create a "
                f"new one in Segurança Social Direta (Gestão de autenticação → Tokens de acesso) before then")
    return None


def exigir_credencial_propria(credenciais: Credenciais, niss_ee: str, servico: str = "alterarContratoTrabalho") -> None:
    """Stop before any SOAP contract call when the credential is not the employer's own: the SOAP contract service
    authenticates as the employer itself (specs/alterar-contrato-soap.txt: the EE is the authenticated NISS), so a
    representative's credential would be refused — and the refusal would read like a payroll error."""
    if credenciais.propria_de(niss_ee):
        return
    quem = (f"a representative's credential (NISS {credenciais.niss})" if credenciais.representante
            else f"the credential of NISS {credenciais.niss}")
    raise PsiCredencialInadequada(
        f"{servico} for employer {niss_ee} needs the employer's own PSI credential (login NISS {niss_ee}, its "
        f"password or Bearer token); the connection holds {quem}. Configure a connection with employer "
        f"{niss_ee}'s own credential for contract changes — the payroll data is not at fault", servico=servico)


class _HeaderAuth(httpx.Auth):
    def __init__(self, valor: str):
        self._valor = valor

    def auth_flow(self, request):
        request.headers["Authorization"] = self._valor
        yield request

    def __repr__(self) -> str:
        return "<PSI auth ***>"
