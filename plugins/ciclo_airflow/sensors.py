"""``ApuramentoSensor``: deferrable wait for the apuramento of one EE's month."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.sdk import BaseSensorOperator

from ciclo_airflow.triggers import ESTADOS_PRONTOS, ApuramentoTrigger


class ApuramentoSensor(BaseSensorOperator):
    """Wait for the Segurança Social's apuramento without holding a worker slot (deferred to the triggerer)."""

    template_fields = ("employer", "ano_mes", "dry_run")

    def __init__(self, *, employer: Any, ano_mes: Any = None, dry_run: Any = False, max_wait_hours: float = 24.0,
                 poll_initial: float = 5.0, poll_max: float = 600.0, **kwargs):
        super().__init__(**kwargs)
        self.employer = employer
        self.ano_mes = ano_mes
        self.dry_run = dry_run
        self.max_wait_hours = max_wait_hours
        self.poll_initial = poll_initial
        self.poll_max = poll_max

    def _emp(self) -> dict:
        emp = self.employer if isinstance(self.employer, dict) else dict(self.employer)
        if self.ano_mes is None:  # inside the mapped task group the month travels with the employer
            self.ano_mes = emp["ano_mes"]
        return emp

    def execute(self, context):
        from ciclo_airflow.apuramento import estado_mensal_sync, prazo_espera
        from psi_hook import PsiHook

        emp = self._emp()
        ano_mes = str(self.ano_mes)
        from ciclo_airflow.steps import falha_definitiva

        with falha_definitiva(), PsiHook(emp["conn_id"]).get_client() as client:
            estado = estado_mensal_sync(client, emp["niss_ee"], ano_mes)
        if estado["estado"] in ESTADOS_PRONTOS:
            self.log.info("apuramento of %s %s already available (%s)", emp["niss_ee"], ano_mes, estado["estado"])
            return estado
        if _truthy(self.dry_run):
            raise AirflowSkipException(f"dry run: apuramento of {emp['niss_ee']} {ano_mes} is {estado['estado']}; not waiting")
        prazo = prazo_espera(ano_mes, self.max_wait_hours)
        self.log.info("apuramento of %s %s is %s: deferring until it is ready or %s", emp["niss_ee"], ano_mes,
                      estado["estado"], prazo.isoformat())
        self.defer(
            trigger=ApuramentoTrigger(emp["conn_id"], emp["niss_ee"], ano_mes, prazo.isoformat(),
                                      self.poll_initial, self.poll_max),
            method_name="execute_complete",
            timeout=prazo - datetime.now(timezone.utc) + timedelta(minutes=5),
        )

    def execute_complete(self, context, event: dict | None = None):
        emp = self._emp()
        event = event or {}
        if event.get("status") == "apurado":
            self.log.info("apuramento of %s %s available (%s)", emp["niss_ee"], self.ano_mes, event.get("estado"))
            return event
        if event.get("status") == "timeout":
            raise AirflowFailException(
                f"EE {emp['niss_ee']} {self.ano_mes}: the Segurança Social's apuramento was not available by "
                f"{event.get('deadline')} (last state: {event.get('estado')}). Silence on day 20 of the following month "
                f"counts as acceptance of the values apurados; check the PSI alerts for this EE and re-run to fetch them."
            )
        raise AirflowFailException(f"EE {emp['niss_ee']} {self.ano_mes}: waiting for the apuramento failed: {event.get('message')}")


def _truthy(v) -> bool:
    return v is True or str(v).strip().lower() in ("true", "1", "yes")
