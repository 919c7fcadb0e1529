"""Operator approval of the confirmation when differences remain — Airflow 3's human-in-the-loop, declared.

Options Approve / Reject, default Approve on timeout: the timeout is the end of day 20 of M+1, when the law deems
the valores apurados accepted by silence (with a minimum window for a late run). The timeout default arrives
with no user, which ``ciclo.app.decisao.aplicar_resposta`` records as acceptance by silence (no confirmation is
sent); an explicit Approve confirms; Reject stops the employer. What to ask, and whether to ask at all, is the
application layer's (``decisao.pedido_aprovacao``)."""

from __future__ import annotations

from airflow.providers.standard.operators.hitl import HITLOperator


class AprovacaoConfirmacao(HITLOperator):
    APPROVE, REJECT = "Approve", "Reject"
    template_fields = (*HITLOperator.template_fields, "execucao", "reconciliacao")

    def __init__(self, *, execucao, reconciliacao, **kwargs):
        kwargs.setdefault("subject", "Confirmar os valores apurados apesar das diferenças?")
        kwargs.setdefault("body", "Diferenças entre a folha e a Segurança Social.")
        super().__init__(options=[self.APPROVE, self.REJECT], defaults=[self.APPROVE], multiple=False, **kwargs)
        self.execucao = execucao
        self.reconciliacao = reconciliacao

    def execute(self, context):
        from ciclo.app import decisao
        from ciclo.app.contexto import Execucao
        from ciclo_airflow.resultado import portas, traduzir

        ex = Execucao.de_xcom(self.execucao)
        context["rotulo"] = ex.employer.rotulo
        p = portas()
        try:
            pedido = decisao.pedido_aprovacao(ex, p, self.reconciliacao)
        except BaseException as exc:  # noqa: BLE001 - translated (NadaAFazer → skip) and re-raised
            t = traduzir(exc)
            raise t if t is not exc else exc
        finally:
            p.fechar()
        self.subject, self.body, self.response_timeout = pedido.assunto, pedido.corpo, pedido.prazo
        return super().execute(context)

    def execute_complete(self, context, event):
        from ciclo.app.contexto import Execucao

        context["rotulo"] = Execucao.de_xcom(self.execucao).employer.rotulo
        return super().execute_complete(context, event)
