"""``ApuramentoSensor``: deferrable wait for the apuramento of one employer's month."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from ciclo_airflow.triggers import ApuramentoTrigger


class ApuramentoSensor(BaseSensorOperator):
    """Wait for the Segurança Social's apuramento without holding a worker slot (deferred to the triggerer)."""

    template_fields = ("execucao",)

    def __init__(self, *, execucao: Any, max_wait_hours: float = 24.0, poll_initial: float = 2.0,
                 poll_max: float = 300.0, poll_jitter: float = 0.1, **kwargs):
        """``poll_initial`` is the floor between two polls, growing ×1.5 up to ``poll_max``, the ceiling (how long
        an available apuramento may sit unseen), ± ``poll_jitter``: see ``ciclo.psi.espera``."""
        from ciclo.psi.espera import Espera

        super().__init__(**kwargs)
        Espera(poll_initial, poll_max, jitter=poll_jitter)  # a bad setting fails when the DAG is parsed, named
        self.execucao = execucao
        self.max_wait_hours = max_wait_hours
        self.poll_initial = poll_initial
        self.poll_max = poll_max
        self.poll_jitter = poll_jitter

    def _ex(self, context):
        from ciclo.app.contexto import Execucao

        ex = Execucao.de_xcom(self.execucao)
        context["rotulo"] = ex.employer.rotulo
        return ex

    def execute(self, context):
        from ciclo.app.apuramento import em_processamento, estado_sync, prazo_espera
        from ciclo_airflow.resultado import traduzir
        from psi_hook import PsiHook

        ex = self._ex(context)
        try:
            with PsiHook(ex.employer.conn_id).get_client() as client:
                estado = estado_sync(client, ex.niss_ee, ex.mes)
                processando = None if estado.pronto else em_processamento(client, ex.niss_ee, ex.mes)
        except BaseException as exc:  # noqa: BLE001 - translated and re-raised, never swallowed
            t = traduzir(exc)
            raise t if t is not exc else exc
        if estado.pronto:
            self.log.info("apuramento of %s already available (%s)", ex.rotulo, estado.estado)
            return estado.as_dict()
        if ex.dry_run:
            raise AirflowSkipException(f"dry run: apuramento of {ex.rotulo} is {estado.estado}; not waiting")
        prazo = prazo_espera(ex.mes, self.max_wait_hours)
        self.log.info("apuramento of %s is %s (%s): deferring until it is ready or %s", ex.rotulo, estado.estado,
                      processando, prazo.isoformat())
        self.defer(
            trigger=ApuramentoTrigger(ex.employer.conn_id, ex.niss_ee, ex.mes, prazo.isoformat(),
                                      self.poll_initial, self.poll_max, self.poll_jitter),
            method_name="execute_complete",
            timeout=prazo - datetime.now(timezone.utc) + timedelta(minutes=5),
        )

    def execute_complete(self, context, event: dict | None = None):
        ex = self._ex(context)
        event = event or {}
        if event.get("status") == "apurado":
            self.log.info("apuramento of %s available (%s)", ex.rotulo, event.get("estado"))
            return event
        if event.get("status") == "timeout":
            raise AirflowFailException(
                f"{ex.rotulo}: the Segurança Social's apuramento was not available by {event.get('deadline')} (last "
                f"state: {event.get('estado')}). Silence on day 20 of the following month counts as acceptance of the "
                f"values apurados; check the PSI alerts for this EE and re-run to fetch them.")
        raise AirflowFailException(f"{ex.rotulo}: waiting for the apuramento failed: {event.get('message')}")
