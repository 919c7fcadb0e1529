"""The one place where the application layer meets Airflow: build the ports from Connections, run a step, and map
its outcome — a result to XCom, ``NadaAFazer`` to a skip, ``Definitivo`` (and errors no retry can fix) to a failure
without retries, anything else to an ordinary failure that Airflow retries."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException


class _MailerSmtp:
    """Sends a complete ``EmailMessage`` (alternatives, inline images) through the Airflow SMTP Connection's
    server, read when the first email is sent (a task that sends none needs no SMTP connection)."""

    def __init__(self, conn_id: str):
        self.conn_id = conn_id
        self._conn = None

    def enviar(self, mensagem) -> None:
        from airflow.sdk import BaseHook

        from ciclo.app.portas import SmtpMailer

        # looked up once per task, not once per email: a lote of 50 employers sends 50 (each look-up also
        # registers the password with the log masker, compiling its pattern again)
        if self._conn is None:
            self._conn = BaseHook.get_connection(self.conn_id)
        c = self._conn
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


def devolver_memoria() -> None:
    """Give the heap a step freed back to the system (glibc's ``malloc_trim``; nothing elsewhere). A process that
    runs several steps — ``dag.test()``, a worker that keeps its process — otherwise keeps the high-water mark of
    its largest step (the quality gate, the SS's contract data of 50,000 workers) as resident memory for every step
    after it (docs/BENCHMARKS.md: −60 to −80 MB for the steps that follow at 50,000 workers). ≈1 ms; no
    ``gc.collect()``: ≈0.3 s a step, and the steps free what they held by reference counting."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim   # the C library the interpreter is linked against
    except (OSError, AttributeError):   # not glibc (musl, macOS): nothing to trim
        return None


def traduzir(exc: BaseException) -> BaseException:
    """The Airflow exception for an application outcome (the same object when Airflow should retry it)."""
    from ciclo.app.erros import classificar

    tipo = classificar(exc)
    if tipo == "nada":
        return AirflowSkipException(str(exc))
    if tipo == "definitivo":
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
        devolver_memoria()
    return [_xcom(x) for x in r] if isinstance(r, list) else _xcom(r)


def _xcom(x):
    if hasattr(x, "para_xcom"):
        return x.para_xcom()
    return x.as_dict() if hasattr(x, "as_dict") else x


class RepetirLote(Exception):
    """Some employers of the lote met an error a retry may fix: Airflow retries the step (the others' work is
    idempotent — every write asks the ledger and the Segurança Social first)."""


def correr_lote(passo: Callable[..., Any], lote: dict, anterior: dict | None = None, *, regra: str | None = None,
                argumentos: Callable | None = None, esperar: bool = False, conjunto: bool = False,
                paralelo: bool = False):
    """Run ``passo(Execucao, Portas, *argumentos(ex, anterior_do_ee))`` for each employer of a lote (see
    ``ciclo.app.lotes.correr_lote``; ``paralelo``: up to ``CICLO_LOTE_PARALELO`` employers at once, for steps that
    mostly wait on the SS); map the lote's outcome: some to retry → retry; every employer taken failed →
    the task fails; none left going → skip; otherwise each employer's outcome to XCom."""
    from airflow.sdk import get_current_context

    from ciclo.app import lotes as L

    ctx = get_current_context()
    ti = ctx["ti"]
    lt = L.Lote.de_xcom(lote)
    ctx["rotulo"] = lt.rotulo   # map_index_template="{{ rotulo }}"
    ultima = ti.try_number >= (getattr(ti, "max_tries", 0) or 0) + 1
    p = portas()
    try:
        r = L.correr_lote(passo, ti.task_id.rsplit(".", 1)[-1], lt, p, anterior, regra=regra or L.SO_OK,
                          ultima_tentativa=ultima and not esperar, argumentos=argumentos, conjunto=conjunto,
                          paralelo=p.definicoes.lote_paralelo if paralelo else 1)
    finally:
        p.fechar()
        devolver_memoria()
    if esperar:
        # a sensor: employers whose outcome a later look may change (a Pedido in analysis) → not done yet
        from airflow.sdk import PokeReturnValue

        if r.repetiveis:
            import logging

            logging.getLogger(__name__).info("waiting on: %s", "; ".join(f"{k}: {e}" for k, e in r.repetiveis.items()))
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value=_saida_lote(r))
    return _saida_lote(r)


def _saida_lote(r) -> dict:
    if r.repetiveis:
        raise RepetirLote(f"{len(r.repetiveis)} employer(s) to retry: " + "; ".join(
            f"{k}: {type(e).__name__}: {e}" for k, e in r.repetiveis.items()))
    if r.todos_falharam():
        raise AirflowFailException("; ".join(f"{k}: {r.estados[k]['mensagem']}" for k in r.falhados()))
    if r.nenhum_ok() and not r.falhados():
        raise AirflowSkipException("nothing to do for this lote: " + "; ".join(
            f"{k}: {v.get('mensagem')}" for k, v in r.estados.items()))
    return r.para_xcom()
