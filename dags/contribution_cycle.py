"""
### contribution_cycle — the monthly Segurança Social contribution cycle

For every configured employer (NISS EE) and the reference month (`ano_mes`, YYYYMM):

1. **carregar_folha** — read the payroll export from the employer's payroll location;
2. **verificar_qualidade** — data-quality checks against the documented rules; errors stop *this employer*
   before any call to the Segurança Social, and the report's path is in the task log;
3. **comunicar_contratos** — contract changes through SOAP `alterarContratoTrabalho`;
4. **enviar_valores** — the *valores de remuneração* through REST, exactly once (ledger + check at the SS);
5. **esperar_apuramento** — deferred to the triggerer until the SS's apuramento is available;
6. **planear_obtencao** → **obter_lote** — valores apurados per worker, fetched in batches into the ledger;
7. **reconciliar** — payroll vs valores apurados, every difference classified and explained;
8. **confirmar_automaticamente** (within tolerance) or **aprovacao_operador** (Airflow's Required Actions:
   approve → confirm, reject → this employer stops; no answer by day 20 → silence counts as acceptance);
9. **documentos_pagamento** — emission (`ambito` 11), never twice; **relatorio_financas** — email to finance with
   the XLSX workbook and the payment documents.

Scheduled on day 2 of each month for the previous month. Manual runs: set `ano_mes`, optionally the
`employers` (NISS list; empty = all configured), `dry_run` (check only, send nothing), `allow_correction`
(send a changed payroll for a month the SS already acknowledged). Configuration: `CICLO_EMPLOYERS` (YAML),
one Airflow Connection per employer (`conn_id`), the ledger in the `ciclo_ledger` connection or `CICLO_LEDGER_URL`.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task, task_group
from airflow.sdk.exceptions import AirflowFailException

from ciclo_airflow.aprovacao import AprovacaoConfirmacao
from ciclo_airflow.notifiers import OperatorNotifier
from ciclo_airflow.sensors import ApuramentoSensor

# Retry pacing (seconds) may be tightened for tests/demos through the environment; no I/O at parse time.
RETRY_DELAY = timedelta(seconds=float(os.environ.get("CICLO_RETRY_DELAY_SECONDS", "30")))
# Celery queues (deploy/ciclo.env): calls to the Segurança Social and heavy local work scale separately. "default"
# when unset, so the LocalExecutor and single-queue deployments are unaffected.
QUEUE_PSI = os.environ.get("CICLO_QUEUE_PSI", "default")
QUEUE_LOCAL = os.environ.get("CICLO_QUEUE_LOCAL", "default")

default_args = {
    "owner": "ciclo",
    "retries": 2,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": True,
    "on_failure_callback": OperatorNotifier(),
}


@dag(
    dag_id="contribution_cycle",
    schedule="0 6 2 * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Lisbon"),
    catchup=False,
    max_active_runs=1,
    tags=["seguranca-social", "payroll", "monthly"],
    doc_md=__doc__,
    default_args=default_args,
    params={
        "ano_mes": Param(None, type=["null", "string"], pattern=r"^[0-9]{4}(0[1-9]|1[0-2])$",
                         description="Reference month YYYYMM (empty: the month before the run)"),
        "employers": Param([], type="array", items={"type": "string", "pattern": r"^[0-9]{11}$"},
                           description="NISS of the employers to run (empty: all configured)"),
        "dry_run": Param(False, type="boolean", description="Check and reconcile; send nothing"),
        "allow_correction": Param(False, type="boolean",
                                  description="Send a changed payroll for a month already acknowledged (a correction)"),
    },
)
def contribution_cycle():
    @task(retries=0, queue=QUEUE_LOCAL)
    def preparar() -> list[dict]:
        """Resolve the reference month and the employers of this run (one entry per employer)."""
        from ciclo_airflow import steps

        ctx = get_current_context()
        return steps.resolver_execucao(ctx["params"], ctx["dag_run"].run_after)

    execucao = preparar()

    @task_group(group_id="ciclo_ee")
    def ciclo_ee(employer: dict):
        @task(retries=0, execution_timeout=timedelta(minutes=20), queue=QUEUE_LOCAL)
        def carregar_folha(employer: dict) -> dict:
            """Load the employer's payroll export for the month (workers, contracts, remuneration, absences)."""
            from ciclo_airflow import steps

            return steps.carregar_folha(employer)

        @task(retries=0, execution_timeout=timedelta(minutes=20), queue=QUEUE_LOCAL)
        def verificar_qualidade(employer: dict) -> dict:
            """Run the data-quality rules; errors stop this employer before anything is sent."""
            from ciclo_airflow import steps

            return steps.verificar_qualidade(employer)

        @task(retries=3, execution_timeout=timedelta(minutes=30), queue=QUEUE_PSI)
        def comunicar_contratos(employer: dict) -> dict:
            """Communicate contract changes of the month through SOAP alterarContratoTrabalho."""
            from ciclo_airflow import steps

            return steps.comunicar_contratos(employer, employer["ano_mes"], get_current_context()["params"]["dry_run"])

        @task(retries=3, execution_timeout=timedelta(minutes=15), queue=QUEUE_PSI)
        def enviar_valores(employer: dict) -> dict:
            """Send the valores de remuneração exactly once (a retry checks the SS before resending)."""
            from ciclo_airflow import steps

            p = get_current_context()["params"]
            return steps.enviar_valores(employer, employer["ano_mes"], p["dry_run"], p["allow_correction"])

        esperar = ApuramentoSensor(
            task_id="esperar_apuramento", employer=employer, dry_run="{{ params.dry_run }}",
            retries=1, poll_initial=2.0, poll_max=600.0, queue=QUEUE_PSI,
        )

        @task(retries=3, execution_timeout=timedelta(minutes=10), queue=QUEUE_PSI)
        def planear_obtencao(employer: dict) -> list[dict]:
            """List the workers with valores apurados and plan batches of those not yet in the ledger."""
            from ciclo_airflow import steps

            return steps.planear_obtencao(employer)

        (carregar_folha(employer) >> verificar_qualidade(employer)
         >> comunicar_contratos(employer) >> enviar_valores(employer) >> esperar)
        plano = planear_obtencao(employer)
        esperar >> plano
        return plano

    planos = ciclo_ee.expand(employer=execucao)

    @task(trigger_rule="all_done", retries=0, queue=QUEUE_LOCAL)
    def juntar_lotes(execucao: list[dict]) -> list[dict]:
        """Gather the fetch batches of every employer that reached this point (a failed one adds none)."""
        from ciclo_airflow import steps

        ti = get_current_context()["ti"]
        planos = [steps.xcom_ou_nada(ti, "ciclo_ee.planear_obtencao", i) for i in range(len(execucao))]
        return steps.juntar_lotes(planos)

    @task(retries=4, retry_delay=RETRY_DELAY, execution_timeout=timedelta(minutes=60),
          max_active_tis_per_dag=4, queue=QUEUE_PSI)
    def obter_lote(lote: dict) -> dict:
        """Fetch one batch (hundreds) of workers' valores apurados into the ledger."""
        from ciclo_airflow import steps

        return steps.obter_lote(lote)

    @task_group(group_id="fecho_ee")
    def fecho_ee(employer: dict):
        @task(trigger_rule="all_done", retries=0, queue=QUEUE_LOCAL)
        def reconciliar(employer: dict) -> dict:
            """Reconcile the payroll with the valores apurados; explain every difference."""
            from ciclo_airflow import steps

            return steps.reconciliar(employer)

        @task(retries=3, queue=QUEUE_PSI)
        def confirmar_automaticamente(employer: dict, rec: dict) -> dict:
            """Confirm the valores apurados once when no difference exceeds the tolerance (skipped otherwise)."""
            from ciclo_airflow import steps

            return steps.confirmar_automaticamente(employer, rec, get_current_context()["params"]["dry_run"])

        rec = reconciliar(employer)
        # Asks only when differences remain beyond tolerance (it skips itself otherwise, and in a dry run).
        aprovacao = AprovacaoConfirmacao(
            task_id="aprovacao_operador", employer=employer, reconciliacao=rec, dry_run="{{ params.dry_run }}", retries=0,
            queue=QUEUE_LOCAL,
        )

        @task(retries=3, queue=QUEUE_PSI)
        def confirmar_aprovado(employer: dict, resposta: dict | None) -> dict:
            """Confirm after the operator's approval (or record acceptance by silence on day 20)."""
            from ciclo_airflow import steps

            return steps.confirmar_aprovado(employer, resposta)

        @task(trigger_rule="all_done", retries=0, queue=QUEUE_LOCAL)
        def tratar_rejeicao(employer: dict, resposta: dict | None) -> None:
            """If the operator rejected, record it and stop this employer with a notification."""
            from ciclo_airflow import steps

            if resposta and resposta.get("chosen_options") == ["Reject"]:
                steps.registar_rejeicao(employer, resposta)
                raise AirflowFailException(
                    f"EE {employer['niss_ee']} {employer['ano_mes']}: the operator rejected confirming the valores "
                    f"apurados; correct the payroll and send a correction (allow_correction).")

        @task(trigger_rule="none_failed_min_one_success", retries=3, retry_delay=RETRY_DELAY, queue=QUEUE_PSI)
        def documentos_pagamento(employer: dict) -> dict:
            """Request (once) and fetch the payment documents."""
            from ciclo_airflow import steps

            return steps.documentos_pagamento(employer)

        @task(trigger_rule="all_done", retries=2, queue=QUEUE_LOCAL)
        def relatorio_financas(employer: dict) -> dict:
            """Email finance the report: totals, differences explained, decision, payment references, XLSX."""
            from ciclo_airflow import steps

            return steps.relatorio_financas(employer)

        auto = confirmar_automaticamente(employer, rec)
        aprovado = confirmar_aprovado(employer, aprovacao.output)
        rejeicao = tratar_rejeicao(employer, aprovacao.output)
        docs = documentos_pagamento(employer)
        rel = relatorio_financas(employer)
        aprovacao >> aprovado >> rejeicao
        [auto, aprovado] >> docs >> rel
        rejeicao >> rel

    @task(trigger_rule="all_done", retries=0, queue=QUEUE_LOCAL)
    def resumo(execucao: list[dict]) -> dict:
        """Summarise each employer's state from the ledger; fail the run if any employer did not get through."""
        from ciclo_airflow import steps

        return steps.resumo(execucao, get_current_context()["params"]["dry_run"])

    lotes = juntar_lotes(execucao)
    planos >> lotes
    obtidos = obter_lote.expand(lote=lotes)
    fecho = fecho_ee.expand(employer=execucao)
    obtidos >> fecho >> resumo(execucao)


contribution_cycle()
