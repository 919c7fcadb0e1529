"""The monthly cycle as typed, plain-Python steps (no Airflow): the application layer.

Each step is a function ``passo(ex: Execucao, p: Portas, ...) -> Resultado``: ``Execucao`` is the frozen context
(employer, month, dry run, correction allowed), ``Portas`` the explicit ports (ledger, PSI REST and SOAP, payroll
source, mailer, notifier). Outcomes other than a result are ``ciclo.app.erros``: ``Definitivo`` (stop this
employer), ``Repetivel`` (a retry may fix it), ``NadaAFazer`` (the step does not apply).

The steps, in the order of a month:

1. ``folha.preparar_folha`` — snapshot the export, quality gate, payload and internal totals;
2. ``contratos.comunicar_contratos`` — SOAP contract changes;
3. ``envio.enviar_valores`` — the valores de remuneração, exactly once; a closed month is never re-sent: its
   correction is ``pedidos`` (a provider of ``revisao``: ``propostas`` → operator → ``aplicar``, then
   ``pedidos.acompanhar_pedido`` until the SS accepts it and the month is refreshed — art. 26.º);
4. ``apuramento`` — is the SS's apuramento ready (the wait runs in Airflow's triggerer);
5. ``obtencao.obter_todos`` — valores apurados per worker into the ledger (bulk, bounded concurrency);
6. ``decisao.reconciliar`` → ``decisao.confirmar_automaticamente`` or ``decisao.pedido_aprovacao`` →
   ``decisao.aplicar_resposta``;
7. ``documentos.emitir_documentos`` — payment documents, once;
8. ``relatorio.relatorio_financas`` — the finance report and email, once per content;
9. ``resumo.resumir`` — the run's verdict.

``execucao.resolver`` builds the run's contexts from the configuration.
"""
