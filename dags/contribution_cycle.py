"""
### contribution_cycle — the monthly Segurança Social contribution cycle

For every configured employer (NISS EE) and the reference month (`ano_mes`, YYYYMM). Employers are grouped into
*lotes* (a large employer alone, small ones together: `CICLO_LOTE_BYTES`, `CICLO_LOTE_EMPREGADORES`; never more lotes
than `max_map_length`), one mapped group per lote (labelled by its employers), each lote at its own pace. Inside a
lote every step runs per employer and keeps each employer's outcome apart: one employer that stops (quality,
refusal, credentials, out of retries) stops only itself and is notified; the others go on.

1. **preparar_folha** — read the payroll export once, keep it in the ledger by content hash, run the data-quality
   rules; errors stop *this employer* before any call to the Segurança Social (the report's path is in the log);
2. **rever_antes_do_envio** → **revisao_operador** → **aplicar_revisao** — the SS's own contract data compared
   with the payroll (the change that fixes each disagreement), workers the SS does not know (admission), a closed
   month's correction (Pedido): shown to the operator, applied only when approved;
   **comunicar_contratos** — the month's contract changes through SOAP `alterarContratoTrabalho`;
   **comunicar_cessacoes** — vínculos ended in the month through SOAP `cessarVinculoTrabalhador` (by day 10);
3. **enviar_valores** — the *valores de remuneração* that passed the quality gate, exactly once;
4. **acompanhar_pedido** — a closed month's correction through a Pedido: waits for the SS's decision (reschedule
   mode); **esperar_apuramento** — deferred to the triggerer until the SS's apuramento is available;
5. **obter_apurados** — valores apurados per worker into the ledger (a re-run fetches only the rest);
6. **reconciliar** — payroll vs valores apurados, every difference classified and explained;
7. **confirmar_automaticamente** (within tolerance) or **aprovacao_operador** → **aplicar_decisao** (Required
   Actions, one per lote: Approve → confirm the employers left checked, Reject → they stop; no answer by day 20 →
   silence counts as acceptance);
8. **documentos_pagamento** — emission (`ambito` 11), never twice; **relatorio_financas** — email to finance
   with the XLSX workbook and the payment documents, once per content;

then **resumo**: the verdict per employer; the run fails naming each employer that did not get through.

Scheduled on day 2 of each month for the previous month. Manual runs: `ano_mes`, optionally `employers` (NISS list;
empty = all configured), `dry_run` (check and reconcile; send nothing), `allow_correction` (send a changed payroll
for a month the SS already holds). Configuration: `CICLO_EMPLOYERS` (YAML), one Airflow Connection per employer
(`conn_id`), the ledger in the `ciclo_ledger` Connection or `CICLO_LEDGER_URL`. The steps are `ciclo.app`.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task, task_group

from ciclo_airflow.aprovacao import AprovacaoConfirmacao, AprovacaoRevisao
from ciclo_airflow.notifiers import OperatorNotifier
from ciclo_airflow.sensors import ApuramentoSensor

# Plain settings read at parse time (no I/O): retry pacing for tests/demos, and the Celery queues (deploy/ciclo.env):
# calls to the Segurança Social and heavy local work scale separately; "default" when unset, so the LocalExecutor
# and single-queue deployments are unaffected.
RETRY_DELAY = timedelta(seconds=float(os.environ.get("CICLO_RETRY_DELAY_SECONDS", "30")))
FILA_PSI = os.environ.get("CICLO_QUEUE_PSI", "default")
FILA_LOCAL = os.environ.get("CICLO_QUEUE_LOCAL", "default")
# Inside the mapped group each step follows its own lote's previous step. The "fast" trigger rules (one_*,
# none_failed_min_one_success) are evaluated by a not-yet-expanded task of a mapped group over *every* lote's
# upstream (Airflow 3.3, ti_deps/deps/trigger_rule_dep.py), so one lote's failure would stop the others:
# only all_success / none_failed / all_done are used in the group.

default_args = {
    "owner": "ciclo",
    "retries": 2,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": True,
    "on_failure_callback": OperatorNotifier(),
    "queue": FILA_PSI,
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
    render_template_as_native_obj=True,
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
    # Every task but the operator's approval has a retry: a worker lost mid-task is retried on another worker (data
    # errors and refusals stop their employer at once, without retrying).
    @task(retries=1, queue=FILA_LOCAL)
    def preparar() -> list[dict]:
        """Resolve the reference month and the employers of this run, grouped into lotes; warn of credentials
        about to expire."""
        from airflow.configuration import conf

        from ciclo.app.execucao import avisar_credenciais, planear, resolver
        from ciclo_airflow.resultado import correr

        ctx = get_current_context()
        prm = ctx["params"]

        def passo(p):
            execucoes = resolver(p.definicoes, ano_mes=prm["ano_mes"], employers=prm["employers"],
                                 dry_run=prm["dry_run"], permitir_correcao=prm["allow_correction"],
                                 hoje=ctx["dag_run"].run_after.date())
            avisar_credenciais(execucoes, p)
            return planear(execucoes, p, max_lotes=conf.getint("core", "max_map_length"))

        return correr(passo, None)

    # each mapped instance shows its lote: the employer itself, or "Lote 2 · 12 EE: A, B, C, +9"
    @task_group(group_id="ciclo_ee", default_args={"map_index_template": "{{ rotulo }}"})
    def ciclo_ee(lote: dict):
        @task(retries=1, execution_timeout=timedelta(minutes=30), queue=FILA_LOCAL)
        def preparar_folha(lote: dict) -> dict:
            """Snapshot the payroll export and run the data-quality gate; errors stop that employer."""
            from ciclo.app.folha import preparar_folhas as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, conjunto=True)

        @task(retries=3, execution_timeout=timedelta(minutes=30))
        def rever_antes_do_envio(lote: dict, anterior: dict) -> dict:
            """What would be done only with the operator's approval: the SS's contract data that disagrees with the
            payroll (and the change that fixes it), workers the SS does not know (admission), a closed month's
            correction (Pedido); and the communications the SS still processes or refused."""
            from ciclo.app.revisao import rever as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, paralelo=True)

        @task(trigger_rule="none_failed", retries=3, execution_timeout=timedelta(minutes=30))
        def aplicar_revisao(lote: dict, revisao: dict, resposta: dict | None) -> dict:
            """Apply exactly the approved proposals (each once); a correction not approved stops its employer."""
            from ciclo.app.revisao import aplicar_revisao as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, revisao, argumentos=lambda ex, ant: (resposta, ant.get("resultado")),
                               paralelo=True)

        @task(retries=3, execution_timeout=timedelta(minutes=30))
        def comunicar_contratos(lote: dict, anterior: dict) -> dict:
            """Communicate the month's contract changes through SOAP alterarContratoTrabalho."""
            from ciclo.app.contratos import comunicar_contratos as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, paralelo=True)

        @task(retries=3, execution_timeout=timedelta(minutes=30))
        def comunicar_cessacoes(lote: dict, anterior: dict) -> dict:
            """Communicate the month's cessations (SOAP cessarVinculoTrabalhador) by day 10 of M+1, each once; late
            or incomplete ones are told to the operator (they do not hold the values back)."""
            from ciclo.app.vinculos import comunicar_cessacoes as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, paralelo=True)

        @task(retries=3, execution_timeout=timedelta(minutes=15))
        def enviar_valores(lote: dict, anterior: dict) -> dict:
            """Send the verified valores de remuneração exactly once (a retry asks the SS before resending)."""
            from ciclo.app.envio import enviar_valores as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, paralelo=True)

        @task.sensor(poke_interval=60, timeout=timedelta(days=20).total_seconds(), mode="reschedule", retries=2)
        def acompanhar_pedido(lote: dict, anterior: dict):
            """A closed month corrected through a Pedido (art. 26.º): wait, without holding a worker slot, until the
            SS decides it; accepted → the month is refreshed as a correction; refused → that employer stops. A
            month without a Pedido goes straight on."""
            from ciclo.app.pedidos import acompanhar_se_houver as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, esperar=True, paralelo=True)

        @task(retries=4, execution_timeout=timedelta(minutes=90))
        def obter_apurados(lote: dict, anterior: dict) -> dict:
            """Fetch every worker's valores apurados not yet in the ledger (bulk, bounded concurrency)."""
            from ciclo.app.obtencao import obter_todos as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior, paralelo=True)

        @task(retries=1, queue=FILA_LOCAL)
        def reconciliar(lote: dict, anterior: dict) -> dict:
            """Reconcile the payroll with the valores apurados; explain every difference."""
            from ciclo.app.decisao import reconciliar as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, anterior)

        @task(retries=3)
        def confirmar_automaticamente(lote: dict, rec: dict) -> dict:
            """Confirm once when no difference exceeds the tolerance (the others wait for the operator)."""
            from ciclo.app.decisao import confirmar_automaticamente as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, rec, argumentos=lambda ex, ant: (ant.get("resultado"),), paralelo=True)

        @task(retries=3)
        def aplicar_decisao(lote: dict, rec: dict, resposta: dict | None) -> dict:
            """Apply the operator's answer: confirm, record silence as acceptance, or record a rejection and stop."""
            from ciclo.app.decisao import aplicar_resposta_lote as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, rec, argumentos=lambda ex, ant: (resposta, ant.get("resultado")),
                               paralelo=True)

        @task(trigger_rule="none_failed", retries=3, retry_delay=RETRY_DELAY)
        def documentos_pagamento(lote: dict, rec: dict | None) -> dict:
            """Request (once per employer) the payment documents of every confirmed month of the lote, then poll all
            pending requests together."""
            from ciclo.app.documentos import emitir_documentos_lote as passo
            from ciclo.app.lotes import NAO_FALHADOS
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, rec, regra=NAO_FALHADOS, conjunto=True)

        @task(trigger_rule="all_done", retries=2, queue=FILA_LOCAL)
        def relatorio_financas(lote: dict) -> dict:
            """Write the finance report and email it (once per content) for each month that reached a decision."""
            from ciclo.app.lotes import TODOS
            from ciclo.app.relatorio import relatorio_financas as passo
            from ciclo_airflow.resultado import correr_lote

            return correr_lote(passo, lote, regra=TODOS)

        rev = rever_antes_do_envio(lote, preparar_folha(lote))
        # The questions retry (default_args): Airflow 3.3 can fail a task resumed by an answer given within seconds
        # of the question, when the executor's stale "success" of the paused attempt arrives while the resumed one
        # runs (apache/airflow#72716, open). A retry asks again, saying why; the answer decides in the next task.
        revisao_op = AprovacaoRevisao(task_id="revisao_operador", lote=lote, revisao=rev)
        aplicado = aplicar_revisao(lote, rev, revisao_op.output)
        envio = enviar_valores(lote, comunicar_cessacoes(lote, comunicar_contratos(lote, aplicado)))
        esperar = ApuramentoSensor(task_id="esperar_apuramento", lote=lote, anterior=acompanhar_pedido(lote, envio),
                                   retries=1, poll_max=300.0)
        rec = reconciliar(lote, obter_apurados(lote, esperar.output))
        aprovacao = AprovacaoConfirmacao(task_id="aprovacao_operador", lote=lote, reconciliacao=rec)
        auto = confirmar_automaticamente(lote, rec)
        decidido = aplicar_decisao(lote, rec, aprovacao.output)
        docs = documentos_pagamento(lote, rec)
        [auto, decidido] >> docs >> relatorio_financas(lote)

    @task(trigger_rule="all_done", retries=1, queue=FILA_LOCAL)
    def resumo(lotes: list[dict]) -> dict:
        """The verdict per employer; fails the run naming every employer that did not get through."""
        from ciclo.app.resumo import resumir_lotes
        from ciclo_airflow.resultado import correr

        return correr(lambda p: resumir_lotes(lotes, p), None)

    lotes = preparar()
    ciclo_ee.expand(lote=lotes) >> resumo(lotes)


contribution_cycle()
