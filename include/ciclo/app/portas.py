"""The ports the steps of the cycle use: the ledger, the PSI (REST and SOAP), the payroll source, the mailer and
the operator's notifications. The Airflow adapter fills them from Connections; tests and the demo use the direct
implementations here (``LigacaoDireta``, ``FontePastaLocal``, ``SmtpMailer``) or in-memory fakes."""

from __future__ import annotations

import smtplib
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import unquote, urlparse

from ciclo.app.configuracao import Definicoes, Employer
from ciclo.ledger import Ledger


class LigacaoPsi(Protocol):
    """The PSI as one employer reaches it: its credentials, its environment, its limits (``PsiHook`` in Airflow)."""

    concurrency: int
    rate_per_second: float | None
    ambiente: Any     # ciclo.psi.ambientes.Ambiente: where the REST and SOAP services are
    timeout: float
    credenciais: Any  # ciclo.psi.auth.Credenciais: whose credential (the EE's own, or a representative's)

    def get_client(self) -> AbstractContextManager[Any]: ...

    def get_async_client(self, **kw) -> Any: ...

    def get_soap_client(self) -> Any: ...

    def aviso_token(self, agora=None) -> str | None:
        """The operator's warning when the Bearer token has expired or expires within a week, else None
        (``ciclo.psi.auth.aviso_expiracao``). Reads only the token: a run's start asks it of every employer."""


class FontePayroll(Protocol):
    def ler(self, location: str) -> dict[str, bytes]:
        """The export's files (name → bytes) at ``location``; raises ``PayrollLoadError`` saying what and where."""

    def tamanho(self, location: str) -> int | None:
        """The export's size in bytes (a planning hint: how much work an employer's month is), None if unknown."""


class Mailer(Protocol):
    def enviar(self, mensagem: EmailMessage) -> None: ...


class Notificador(Protocol):
    def notificar(self, registo: dict, assunto: str) -> None: ...


@dataclass
class Portas:
    """What the steps may touch. ``ledger`` opens lazily (a step that needs no ledger opens none)."""

    definicoes: Definicoes
    abrir_ledger: Callable[[], Ledger]
    psi: Callable[[Employer], LigacaoPsi]
    fonte: FontePayroll
    mailer: Mailer | None = None
    notificador: Notificador | None = None
    _ledger: Ledger | None = field(default=None, repr=False)

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = self.abrir_ledger()
        return self._ledger

    def cliente(self, ex):
        """The employer's REST client, every call audited in the ledger (service, method, status, outcome,
        duration — never secrets or amounts)."""
        repo = self.ledger.auditoria

        def auditar(*, servico, metodo, status, duracao_ms, resultado, erro_classe, niss_ee=None):
            repo.registar(servico, metodo, resultado, duracao_ms, status=status, niss_ee=niss_ee or ex.niss_ee,
                          ano_mes=ex.mes, erro_classe=erro_classe)

        return self.psi(ex.employer).get_client(on_call=auditar)

    def fechar(self) -> None:
        if self._ledger is not None:
            self._ledger.dispose()
            self._ledger = None


# ------------------------------------------------------------------------------------------------ direct implementations
class FontePastaLocal:
    """Payroll exports in a local folder (a path or ``file://`` URL). Remote storage is the adapter's job."""

    def ler(self, location: str) -> dict[str, bytes]:
        from ciclo.payroll import PayrollLoadError

        u = urlparse(str(location))
        if u.scheme not in ("", "file"):
            raise PayrollLoadError(f"payroll location {location}: scheme {u.scheme!r} needs object storage (run it "
                                   f"under Airflow, whose ObjectStoragePath reads it)")
        pasta = Path(unquote(u.path) if u.scheme == "file" else str(location))
        return ler_pasta(pasta, str(location))

    def tamanho(self, location: str) -> int | None:
        u = urlparse(str(location))
        if u.scheme not in ("", "file"):
            return None
        return tamanho_pasta(Path(unquote(u.path) if u.scheme == "file" else str(location)))


def tamanho_pasta(pasta) -> int | None:
    """Bytes of an export folder's visible files (``Path`` or ``ObjectStoragePath``); None when it cannot be read
    (the payroll step then says what is wrong; a size is only a hint for grouping)."""
    try:
        return sum(p.stat().st_size for p in pasta.iterdir() if not p.name.startswith((".", "~$")) and p.is_file())
    except OSError:
        return None


def ler_pasta(pasta, location: str) -> dict[str, bytes]:
    """Every visible file of an export folder (``Path`` or ``ObjectStoragePath``), by name."""
    from ciclo.payroll import PayrollLoadError

    try:
        if not pasta.exists():
            raise PayrollLoadError(f"payroll folder {location} does not exist (expected one folder per EE and month)")
        if not pasta.is_dir():
            raise PayrollLoadError(f"payroll location {location} is not a folder")
        return {p.name: p.read_bytes() for p in sorted(pasta.iterdir(), key=lambda p: p.name)
                if not p.name.startswith((".", "~$")) and p.is_file()}
    except PayrollLoadError:
        raise
    except OSError as exc:  # permission, network, credentials: say what and where
        raise PayrollLoadError(f"payroll folder {location} cannot be read: {type(exc).__name__}: {exc}") from None


@dataclass
class LigacaoDireta:
    """The PSI reached without Airflow (tests, benchmarks, the sandbox's users): an environment and credentials."""

    ambiente: Any
    credenciais: Any
    timeout: float = 30.0
    concurrency: int = 32
    rate_per_second: float | None = None
    retry: Any = None  # a ciclo.psi.rest.RetryPolicy (tests tighten the pacing)

    @classmethod
    def sandbox(cls, url: str, niss: str, password: str, **kw) -> "LigacaoDireta":
        from ciclo.psi.ambientes import resolver
        from ciclo.psi.auth import Credenciais

        return cls(resolver(url), Credenciais(niss, password=password), **kw)

    def get_client(self, **kw):
        from ciclo.psi.rest import PsiClient

        if self.retry is not None:
            kw.setdefault("retry", self.retry)
        return PsiClient(self.ambiente, self.credenciais, timeout=self.timeout, **kw)

    def get_async_client(self, **kw):
        from ciclo.psi.rest import AsyncPsiClient

        kw.setdefault("max_connections", self.concurrency)
        if self.retry is not None:
            kw.setdefault("retry", self.retry)
        return AsyncPsiClient(self.ambiente, self.credenciais, timeout=self.timeout, **kw)

    def get_soap_client(self):
        from ciclo.psi.soap import ContratoSoapClient

        return ContratoSoapClient(self.ambiente.soap_endpoint("alterarContratoTrabalho"), self.credenciais,
                                  timeout=self.timeout)

    def aviso_token(self, agora=None) -> str | None:
        from ciclo.psi.auth import aviso_expiracao

        return aviso_expiracao(self.credenciais, agora)


@dataclass
class SmtpMailer:
    """Plain SMTP (the demo's catcher, a relay on loopback)."""

    host: str
    port: int
    ssl: bool = False
    starttls: bool = False
    login: str | None = None
    password: str | None = field(default=None, repr=False)

    def enviar(self, mensagem: EmailMessage) -> None:
        cls = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with cls(self.host, self.port, timeout=30) as s:
            if self.starttls:
                s.starttls()
            if self.login:
                s.login(self.login, self.password or "")
            s.send_message(mensagem)
