"""The one place where the application layer meets Airflow: build the ports from Connections, run a step, and map
its outcome — a result to XCom, ``NadaAFazer`` to a skip, ``Definitivo`` (and errors no retry can fix) to a failure
without retries, anything else to an ordinary failure that Airflow retries."""

from __future__ import annotations

import os
from typing import Any, Callable

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException


class _MailerSmtp:
    """Sends a complete ``EmailMessage`` (alternatives, inline images) through the Airflow SMTP Connection's
    server, read when the first email is sent (a task that sends none needs no SMTP connection)."""

    def __init__(self, conn_id: str):
        self.conn_id = conn_id

    def enviar(self, mensagem) -> None:
        from airflow.sdk import BaseHook

        from ciclo.app.portas import SmtpMailer

        c = BaseHook.get_connection(self.conn_id)
        extra = c.extra_dejson or {}
        # the SMTP provider's own semantics: SSL and STARTTLS on unless disable_ssl / disable_tls
        ssl = not bool(extra.get("disable_ssl", False))
        starttls = not ssl and not bool(extra.get("disable_tls", False))
        SmtpMailer(c.host or "localhost", int(c.port or (465 if ssl else 25)), ssl=ssl, starttls=starttls,
                   login=c.login or None, password=c.password or None).enviar(mensagem)


class _FonteAirflow:
    """Local folders directly; any other scheme (s3://, gs://, ...) through Airflow's ObjectStoragePath."""

    def ler(self, location: str) -> dict[str, bytes]:
        from urllib.parse import urlparse

        from ciclo.app.portas import FontePastaLocal, ler_pasta

        if urlparse(str(location)).scheme in ("", "file"):
            return FontePastaLocal().ler(location)
        from airflow.sdk import ObjectStoragePath

        return ler_pasta(ObjectStoragePath(str(location)), str(location))


class _Notificador:
    def notificar(self, registo: dict, assunto: str) -> None:
        from ciclo_airflow.notifiers import notificar_operador

        notificar_operador(registo, assunto)


def portas():
    """The ports of one task, from the environment and Airflow Connections (read once per task)."""
    from ciclo.app.configuracao import Definicoes
    from ciclo.app.portas import Portas
    from ciclo_airflow.ledger_hook import LedgerHook
    from psi_hook import PsiHook

    definicoes = Definicoes.do_ambiente()
    return Portas(definicoes=definicoes, abrir_ledger=LedgerHook().get_conn, psi=lambda e: PsiHook(e.conn_id),
                  fonte=_FonteAirflow(), mailer=_MailerSmtp(os.environ.get("CICLO_SMTP_CONN_ID", "smtp_default")),
                  notificador=_Notificador())


def _definitivos() -> tuple[type[BaseException], ...]:
    from ciclo.app.configuracao import ConfigError
    from ciclo.app.erros import Definitivo
    from ciclo.psi.errors import PsiAuthError, PsiCredencialInadequada, PsiForbiddenError, PsiValidationError

    return (Definitivo, ConfigError, PsiAuthError, PsiForbiddenError, PsiValidationError, PsiCredencialInadequada)


def traduzir(exc: BaseException) -> BaseException:
    """The Airflow exception for an application outcome (the same object when Airflow should retry it)."""
    from ciclo.app.erros import NadaAFazer

    if isinstance(exc, NadaAFazer):
        return AirflowSkipException(str(exc))
    if isinstance(exc, _definitivos()):
        return AirflowFailException(str(exc))
    return exc


def correr(passo: Callable[..., Any], execucao: dict | None, *args, rotular: bool = True, **kwargs):
    """Run ``passo(Execucao, Portas, *args)`` for one employer's month; return its result as XCom."""
    from airflow.sdk import get_current_context

    from ciclo.app.contexto import Execucao

    ex = Execucao.de_xcom(execucao) if execucao is not None else None
    if rotular and ex is not None:
        get_current_context()["rotulo"] = ex.employer.rotulo  # map_index_template="{{ rotulo }}"
    p = portas()
    try:
        r = passo(ex, p, *args, **kwargs) if ex is not None else passo(p, *args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - translated, never swallowed: always re-raised
        traduzida = traduzir(exc)
        if traduzida is exc:
            raise
        raise traduzida from None
    finally:
        p.fechar()
    return [_xcom(x) for x in r] if isinstance(r, list) else _xcom(r)


def _xcom(x):
    if hasattr(x, "para_xcom"):
        return x.para_xcom()
    return x.as_dict() if hasattr(x, "as_dict") else x
