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


class AprovacaoConfirmacao(HITLOperator):
    APPROVE, REJECT = "Approve", "Reject"
    template_fields = (*HITLOperator.template_fields, "lote", "reconciliacao")

    def __init__(self, *, lote, reconciliacao, **kwargs):
        kwargs.setdefault("subject", "Confirmar os valores apurados apesar das diferenças?")
        kwargs.setdefault("body", "Diferenças entre a folha e a Segurança Social.")
        super().__init__(options=[self.APPROVE, self.REJECT], defaults=[self.APPROVE], multiple=False, **kwargs)
        self.lote = lote
        self.reconciliacao = reconciliacao

    def execute(self, context):
        from airflow.sdk import Param
        from airflow.sdk.definitions.param import ParamsDict

        from ciclo.app import decisao
        from ciclo.app.lotes import OK, Lote, estados_de
        from ciclo_airflow.resultado import portas, traduzir

        lote = Lote.de_xcom(self.lote)
        context["rotulo"] = lote.rotulo
        recs = {k: v.get("resultado") for k, v in (estados_de(self.reconciliacao) or {}).items() if v["estado"] == OK}
        p = portas()
        try:
            pedido = decisao.pedido_aprovacao_lote(lote.execucoes, p, recs)
        except BaseException as exc:  # noqa: BLE001 - translated (NadaAFazer → skip) and re-raised
            t = traduzir(exc)
            raise t if t is not exc else exc
        finally:
            p.fechar()
        self.subject, self.body, self.response_timeout = pedido.assunto, pedido.corpo, pedido.prazo
        if pedido.parametros:
            self.params = ParamsDict({k: Param(True, type="boolean", title=rotulo,
                                               description=f"Confirmar {rotulo}")
                                      for k, rotulo in pedido.parametros.items()})
        return super().execute(context)

    def execute_complete(self, context, event):
        from ciclo.app.lotes import Lote

        context["rotulo"] = Lote.de_xcom(self.lote).rotulo
        return super().execute_complete(context, event)
