"""What a step can tell its runner, beyond its result. The Airflow adapter maps each to one behaviour
(``plugins/ciclo_airflow/resultado.py``): ``Definitivo`` fails the task at once, ``Repetivel`` lets Airflow retry,
``NadaAFazer`` skips the step for this employer. Messages say what and where, never secrets."""

from __future__ import annotations


class ErroCiclo(Exception):
    """Base of the application layer's outcomes that are not results."""


class Definitivo(ErroCiclo):
    """No retry can fix it (bad credentials, a refused payload, a blocked payroll, a refused correction): this
    employer stops here, and the operator is told what to do."""


class Repetivel(ErroCiclo):
    """A retry may fix it (an answer that did not come, a batch partly fetched). Retries ask the Segurança Social
    before sending anything again."""


class NadaAFazer(ErroCiclo):
    """This step does not apply to this employer in this run (an earlier step stopped it, a dry run, nothing
    to decide). Not a failure."""


class BloqueadoQualidade(Definitivo):
    """The payroll has data-quality errors: nothing is sent for this employer."""


class CorrecaoNaoAutorizada(Definitivo):
    """The payload differs from what the Segurança Social already holds for this month."""


class EnvioRecusado(Definitivo):
    """The Segurança Social refused the values (HTTP 400): fix the payroll; nothing was recorded there."""


class EnvioIncerto(Repetivel):
    """The submission may or may not have reached the Segurança Social; a retry checks before resending."""


class ContratosRecusados(Definitivo):
    """The Segurança Social refused contract changes: values are not sent until the payroll is fixed."""


def definitivos() -> tuple[type[BaseException], ...]:
    """The errors no retry can fix: this application's ``Definitivo`` and a bad configuration, and the PSI's own
    refusals (credentials rejected, not authorised, a payload refused, a representative's credential for a service
    that needs the EE's own)."""
    from ciclo.app.configuracao import ConfigError
    from ciclo.psi.errors import PsiAuthError, PsiCredencialInadequada, PsiForbiddenError, PsiValidationError

    return (Definitivo, ConfigError, PsiAuthError, PsiForbiddenError, PsiValidationError, PsiCredencialInadequada)


def classificar(exc: BaseException) -> str:
    """``"nada"`` (not applicable: skip), ``"definitivo"`` (stop this employer) or ``"repetivel"`` (retry)."""
    if isinstance(exc, NadaAFazer):
        return "nada"
    if isinstance(exc, definitivos()):
        return "definitivo"
    return "repetivel"
