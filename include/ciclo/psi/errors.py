"""Errors of the PSI clients, each one a user can act on. Texts never carry the Authorization header,
passwords, tokens, request bodies or amounts."""

from __future__ import annotations


class PsiError(Exception):
    """Base class. ``servico`` is the operation name, ``status`` the HTTP status when there was one."""

    retryable = False

    def __init__(self, message: str, *, servico: str | None = None, status: int | None = None):
        super().__init__(message)
        self.servico = servico
        self.status = status


class PsiValidationError(PsiError):
    """HTTP 400: the Segurança Social refused a parameter. Carries its message and the parameter when known."""

    def __init__(self, message: str, *, ss_message: str, parametro: str | None = None, **kw):
        super().__init__(message, **kw)
        self.ss_message = ss_message
        self.parametro = parametro


class PsiAuthError(PsiError):
    """HTTP 401: credentials rejected."""


class PsiForbiddenError(PsiError):
    """HTTP 403: the authenticated NISS may not use this service for this employer."""


class PsiNotFound(PsiError):
    """HTTP 404."""


class PsiRetryableError(PsiError):
    """5xx, 429, timeouts, connection errors: safe to try again (for a GET, or a POST that never left)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PsiContractError(PsiError):
    """A 2xx answer that does not match the wire contract (docs/psi-contract.md): not JSON, or a shape the models
    cannot read. Not retryable — the contract (or an ASSUMED model) needs updating. The text names the fields,
    never their values."""


class PsiOutcomeUnknown(PsiError):
    """A write (POST/DELETE) that may or may not have been processed: the request left, no complete answer came
    back (lost acknowledgement, read timeout, 5xx). Neither success nor failure: check what the Segurança Social
    holds before sending again."""


class PsiTokenExpirado(PsiAuthError):
    """HTTP 401 with the service's own text "Token expirado.": the Bearer token must be renewed (Segurança Social
    Direta → Gestão de autenticação → Tokens de acesso), not the password checked. ``ss_message`` is that text."""

    def __init__(self, message: str, *, ss_message: str = "Token expirado.", **kw):
        super().__init__(message, **kw)
        self.ss_message = ss_message


class PsiCredencialInadequada(PsiError):
    """The connection holds the wrong kind of credential for this service — e.g. a representative's (accounting
    office) credential for ``alterarContratoTrabalho``, which authenticates as the employer itself. Raised before
    any call; the text names the credential that is needed. Not retryable: configure that credential."""
