"""Operator approval of the confirmation when differences remain — Airflow 3's human-in-the-loop, declared.

One question per lote, for the employers of the lote whose month waits for the operator. Options Approve / Reject,
default Approve on timeout: the timeout is the end of day 20 of M+1, when the law deems the valores apurados
accepted by silence (with a minimum window for a late run). With several employers the form has one checkbox per
employer (checked by default): Approve confirms the checked ones and rejects the others; Reject rejects them all.
The timeout default arrives with no user, which ``ciclo.app.decisao.aplicar_resposta`` records as acceptance by
silence (no confirmation is sent). What to ask, and whether to ask at all, is the application layer's
(``decisao.pedido_aprovacao_lote``)."""

from __future__ import annotations

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk.exceptions import AirflowSkipException, DownstreamTasksSkipped


def aviso_de_repeticao(tentativa: int) -> str:
    """The line that opens a question asked again (a retry of its task): the operator answered, or may have, and
    sees the same question once more. The usual cause is an Airflow 3.3 race (apache/airflow#72716): an answer given
    within seconds of the question resumes the task while the executor's late report of the paused attempt fails it.
    Nothing was applied: the answer is applied by the next task, which had not run."""
    if tentativa <= 1:
        return ""
    return (f"Pergunta repetida (tentativa {tentativa}): a tentativa anterior terminou antes de a resposta ser aplicada;"
            " nada foi aplicado. Responda de novo.\n\n")


class _AprovacaoLote(HITLOperator):
    """A question for one lote, asked only when the application layer has one: ``_pedido(lote, p, estados)`` returns
    the subject, body, timeout and form fields (one checkbox per item, checked by default), or raises
    ``NadaAFazer`` (→ skip).

    ``sem_pergunta_salta_seguintes``: with no question, the task that would apply the answer is skipped by this one
    (it ends *success*, its log saying why no question was asked) instead of this one ending *skipped* and the
    scheduler skipping the next through its trigger rule one scheduling loop later — a loop that held back the
    payment documents by up to a second (``dag.test()`` sleeps 1 s when a loop finds nothing to run). What is
    skipped is the same task, for the same reason."""

    template_fields = (*HITLOperator.template_fields, "lote", "anterior")
    sem_pergunta_salta_seguintes: tuple[str, ...] = ()   # the downstream tasks (ids without their group) to skip

    def __init__(self, *, lote, anterior, options, defaults, **kwargs):
        super().__init__(options=options, defaults=defaults, multiple=False, **kwargs)
        self.lote = lote
        self.anterior = anterior

    def _pedido(self, lote, p, resultados: dict):
        raise NotImplementedError

    def execute(self, context):
        from airflow.sdk import Param
        from airflow.sdk.definitions.param import ParamsDict

        from ciclo.app.lotes import OK, Lote, estados_de
        from ciclo_airflow.resultado import portas, traduzir

        lote = Lote.de_xcom(self.lote)
        context["rotulo"] = lote.rotulo
        resultados = {k: v.get("resultado") for k, v in (estados_de(self.anterior) or {}).items() if v["estado"] == OK}
        p = portas()
        try:
            assunto, corpo, prazo, campos = self._pedido(lote, p, resultados)
        except BaseException as exc:  # noqa: BLE001 - translated (NadaAFazer → skip) and re-raised
            t = traduzir(exc)
            if isinstance(t, AirflowSkipException):
                self._saltar_seguintes(context, t)
            raise t if t is not exc else exc
        finally:
            p.fechar()
        tentativa = getattr(context.get("ti"), "try_number", 1) or 1
        self.subject, self.body, self.response_timeout = assunto, aviso_de_repeticao(tentativa) + corpo, prazo
        if campos:
            self.params = ParamsDict({k: Param(True, type="boolean", title=t, description=t) for k, t in campos.items()})
        return super().execute(context)

    def _saltar_seguintes(self, context, motivo: AirflowSkipException) -> None:
        """No question: the downstream task (same lote, same map index) is skipped now, and this one succeeds."""
        ti = context["ti"]
        mapa = getattr(ti, "map_index", -1)
        mapa = -1 if mapa is None else mapa
        # only the tasks named (a task added downstream later is not skipped by surprise)
        seguintes = sorted(t for t in self.downstream_task_ids
                           if t.rsplit(".", 1)[-1] in self.sem_pergunta_salta_seguintes)
        if not seguintes:
            return   # none of them downstream here: this task is skipped as before, its downstream by trigger rule
        self.log.info("no question for this lote (%s); skipping %s", motivo, ", ".join(seguintes))
        raise DownstreamTasksSkipped(tasks=[(t, mapa) for t in seguintes])

    def execute_complete(self, context, event):
        from ciclo.app.lotes import Lote

        context["rotulo"] = Lote.de_xcom(self.lote).rotulo
        return super().execute_complete(context, event)


class AprovacaoConfirmacao(_AprovacaoLote):
    APPROVE, REJECT = "Approve", "Reject"
    sem_pergunta_salta_seguintes = ("aplicar_decisao",)  # it applies an answer; none asked, nothing to apply

    def __init__(self, *, lote, reconciliacao, **kwargs):
        kwargs.setdefault("subject", "Confirmar os valores apurados apesar das diferenças?")
        kwargs.setdefault("body", "Diferenças entre a folha e a Segurança Social.")
        super().__init__(lote=lote, anterior=reconciliacao, options=[self.APPROVE, self.REJECT],
                         defaults=[self.APPROVE], **kwargs)

    def _pedido(self, lote, p, resultados):
        from ciclo.app import decisao

        pd = decisao.pedido_aprovacao_lote(lote.execucoes, p, resultados)
        return pd.assunto, pd.corpo, pd.prazo, {k: f"Confirmar {r}" for k, r in pd.parametros.items()}


class AprovacaoRevisao(_AprovacaoLote):
    """Before sending: the proposals of the lote's employers (contract data to fix at the SS, admissions, a
    correction through a Pedido), one checkbox each. Options Aplicar / Não aplicar; no answer by the end of day 10
    of M+1 applies nothing (``ciclo.app.revisao``)."""

    def __init__(self, *, lote, revisao, **kwargs):
        from ciclo.app.revisao import APLICAR, NAO_APLICAR

        kwargs.setdefault("subject", "Rever antes de enviar")
        kwargs.setdefault("body", "Propostas antes do envio dos valores.")
        super().__init__(lote=lote, anterior=revisao, options=[APLICAR, NAO_APLICAR], defaults=[NAO_APLICAR],
                         **kwargs)

    def _pedido(self, lote, p, resultados):
        from ciclo.app import revisao

        pd = revisao.pedido_revisao_lote(lote.execucoes, p, resultados)
        return pd.assunto, pd.corpo, pd.prazo, pd.campos
