"""Operator approval of the confirmation when differences remain (Airflow 3's human-in-the-loop)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from airflow.providers.standard.operators.hitl import ApprovalOperator


class AprovacaoConfirmacao(ApprovalOperator):
    """Approve → confirm; Reject → stop this employer (notify); no answer by day 20 of M+1 → the run says plainly
    that silence counts as acceptance and carries on to the payment documents."""

    template_fields = (*ApprovalOperator.template_fields, "employer", "reconciliacao", "dry_run")

    def __init__(self, *, employer, reconciliacao, dry_run=False, **kwargs):
        kwargs.setdefault("subject", "Confirmar os valores apurados apesar das diferenças?")
        kwargs.setdefault("body", "Diferenças entre a folha e a Segurança Social: ver o resumo da reconciliação.")
        super().__init__(**kwargs)
        self.employer = employer
        self.reconciliacao = reconciliacao
        self.dry_run = dry_run

    def execute(self, context):
        from airflow.sdk.exceptions import AirflowSkipException

        from ciclo_airflow.apuramento import LISBOA
        from ciclo.domain.periodo import AnoMes, data_limite_confirmacao

        rec = self.reconciliacao or {}
        if str(self.dry_run).lower() in ("true", "1"):
            raise AirflowSkipException("dry run: no confirmation")
        if rec.get("dentro_tolerancia"):
            raise AirflowSkipException("no difference beyond tolerance: confirmed automatically")
        self.body = (f"{rec.get('fora_tolerancia')} diferença(s) fora da tolerância.\n\n```\n{rec.get('resumo', '')}\n```\n\n"
                     "Aprovar confirma os valores apurados na Segurança Social; rejeitar pára esta entidade. "
                     "Sem resposta até ao dia 20, o silêncio vale como aceitação.")
        emp = self.employer if isinstance(self.employer, dict) else dict(self.employer)
        from ciclo.pipeline.fecho import confirmacao
        from ciclo_airflow.steps import ledger

        lg = ledger()
        try:
            atual = confirmacao(lg, emp["niss_ee"], emp["ano_mes"])
        finally:
            lg.dispose()
        if atual and atual["estado"] in ("CONFIRMADO", "REJEITADO"):
            raise AirflowSkipException(f"already decided for this month: {atual['estado']} ({atual['modo']})")
        dia20 = datetime.combine(data_limite_confirmacao(AnoMes.parse(emp["ano_mes"])), datetime.max.time(), tzinfo=LISBOA)
        # After day 20 the law already deems the values accepted; the operator still gets a window to look.
        minimo = timedelta(minutes=float(os.environ.get("CICLO_APROVACAO_MIN_MINUTOS", "60")))
        self.response_timeout = max(dia20.astimezone(timezone.utc) - datetime.now(timezone.utc), minimo)
        self.subject = f"Confirmar os valores apurados de {emp.get('nome') or emp['niss_ee']} ({emp['niss_ee']}) {emp['ano_mes']}?"
        return super().execute(context)

    def process_trigger_event_error(self, event):
        if event.get("error_type") == "timeout":
            self.log.warning("No operator answer by day 20: under the law, silence counts as acceptance of the valores "
                             "apurados. Continuing to the payment documents.")
            return  # handled in execute_complete
        return super().process_trigger_event_error(event)

    def execute_complete(self, context, event):
        if "error" in event and event.get("error_type") == "timeout":
            self.process_trigger_event_error(event)
            return {"chosen_options": [self.APPROVE], "silencio": True, "responded_by_user": None}
        return super().execute_complete(context, event)
