"""``ApuramentoSensor``: deferrable wait for the apuramento of every employer of a lote that sent its values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from ciclo.psi.espera import PISO, Espera
from ciclo_airflow.triggers import ApuramentoTrigger


class ApuramentoSensor(BaseSensorOperator):
    """Wait for the Segurança Social's apuramento without holding a worker slot (deferred to the triggerer).

    Takes the lote and the previous step's outcome per employer: only employers whose values went through are
    waited for; each employer's wait ends on its own (ready, refused, or out of time) and is reported apart."""

    template_fields = ("lote", "anterior")

    def __init__(self, *, lote: Any, anterior: Any, max_wait_hours: float = 24.0, poll_initial: float = PISO,
                 poll_max: float = 300.0, poll_jitter: float = 0.1, **kwargs):
        """Polls 20 % of the time waited apart, ``poll_initial`` the floor between two polls and ``poll_max`` the
        ceiling (how long an available apuramento may sit unseen), ± ``poll_jitter``: see ``ciclo.psi.espera``."""
        super().__init__(**kwargs)
        Espera(poll_initial, poll_max, jitter=poll_jitter)  # a bad setting fails when the DAG is parsed, named
        self.poll_jitter = poll_jitter
        self.lote = lote
        self.anterior = anterior
        self.max_wait_hours = max_wait_hours
        self.poll_initial = poll_initial
        self.poll_max = poll_max

    def _lote(self, context):
        from ciclo.app.lotes import Lote

        lote = Lote.de_xcom(self.lote)
        context["rotulo"] = lote.rotulo
        return lote

    def execute(self, context):
        from ciclo.app.apuramento import em_processamento, estado_sync, prazo_espera
        from ciclo.app.erros import classificar
        from ciclo.app.lotes import FALHOU, NADA, OK, estados_de
        from psi_hook import PsiHook

        lote = self._lote(context)
        antes = estados_de(self.anterior) or {}
        estados: dict[str, dict] = {}
        pendentes = []
        for ex in lote.execucoes:
            ant = antes.get(ex.niss_ee)
            if not ant or ant["estado"] != OK:
                estados[ex.niss_ee] = {k: v for k, v in (ant or {"estado": FALHOU, "mensagem": "no outcome"}).items()
                                       if k in ("estado", "mensagem", "passo")}
                continue
            try:
                with PsiHook(ex.employer.conn_id).get_client() as client:
                    estado = estado_sync(client, ex.niss_ee, ex.mes)
                    processando = None if estado.pronto else em_processamento(client, ex.niss_ee, ex.mes)
            except Exception as exc:  # noqa: BLE001 - classified: a refusal stops this employer, else the trigger retries
                if classificar(exc) == "definitivo":
                    estados[ex.niss_ee] = self._falha(ex, f"{type(exc).__name__}: {exc}")
                    continue
                self.log.warning("%s: apuramento state unavailable (%s); waiting in the triggerer", ex.rotulo,
                                 type(exc).__name__)
                pendentes.append(ex)
                continue
            if estado.pronto:
                self.log.info("apuramento of %s already available (%s)", ex.rotulo, estado.estado)
                estados[ex.niss_ee] = {"estado": OK, "passo": "esperar_apuramento", "resultado": estado.as_dict()}
            elif ex.dry_run:
                estados[ex.niss_ee] = {"estado": NADA, "passo": "esperar_apuramento",
                                       "mensagem": f"dry run: apuramento is {estado.estado}; not waiting"}
            else:
                self.log.info("apuramento of %s is %s (%s)", ex.rotulo, estado.estado, processando)
                pendentes.append(ex)
        if not pendentes:
            return self._concluir(estados)
        prazo = max(prazo_espera(ex.mes, self.max_wait_hours) for ex in pendentes)
        self.log.info("deferring until %d employer(s)' apuramento is ready or %s", len(pendentes), prazo.isoformat())
        self.defer(
            trigger=ApuramentoTrigger([(ex.employer.conn_id, ex.niss_ee, ex.mes) for ex in pendentes],
                                      prazo.isoformat(), self.poll_initial, self.poll_max, estados=estados,
                                      jitter=self.poll_jitter),
            method_name="execute_complete",
            timeout=prazo - datetime.now(timezone.utc) + timedelta(minutes=5),
        )

    def execute_complete(self, context, event: dict | None = None):
        from ciclo.app.lotes import OK

        lote = self._lote(context)
        event = event or {}
        estados = dict(event.get("estados") or {})
        por_niss = {ex.niss_ee: ex for ex in lote.execucoes}
        for niss, r in (event.get("resultados") or {}).items():
            ex = por_niss[niss]
            if r.get("status") == "apurado":
                self.log.info("apuramento of %s available (%s)", ex.rotulo, r.get("estado"))
                estados[niss] = {"estado": OK, "passo": "esperar_apuramento",
                                 "resultado": {"estado": r.get("estado"),
                                               "numeroTrabalhadores": r.get("numeroTrabalhadores")}}
            elif r.get("status") == "timeout":
                estados[niss] = self._falha(ex, (
                    f"the Segurança Social's apuramento was not available by {event.get('deadline')} (last state: "
                    f"{r.get('estado')}). Silence on day 20 of the following month counts as acceptance of the "
                    f"values apurados; check the PSI alerts for this EE and re-run to fetch them."))
            else:
                estados[niss] = self._falha(ex, f"waiting for the apuramento failed: {r.get('message')}")
        return self._concluir(estados)

    def _falha(self, ex, msg: str) -> dict:
        from ciclo.app.lotes import FALHOU
        from ciclo_airflow.notifiers import notificar_operador

        self.log.error("%s: %s", ex.rotulo, msg)
        notificar_operador({"ts": datetime.now(timezone.utc).isoformat(), "tipo": "falha",
                            "task_id": "esperar_apuramento", "niss_ee": ex.niss_ee, "nome": ex.employer.nome,
                            "ano_mes": ex.mes, "erro": msg},
                           f"Ciclo contributivo: {ex.employer.rotulo} parou em esperar_apuramento")
        return {"estado": FALHOU, "passo": "esperar_apuramento", "mensagem": msg}

    def _concluir(self, estados: dict) -> dict:
        from ciclo.app.lotes import FALHOU, OK

        saida = {"lote": self.lote, "passo": "esperar_apuramento", "estados": estados}
        deste = [v for v in estados.values() if v.get("passo") == "esperar_apuramento"]
        if not any(v["estado"] == OK for v in estados.values()):
            falhados = [v for v in deste if v["estado"] == FALHOU]
            if deste and len(falhados) == len(deste):
                raise AirflowFailException("; ".join(v["mensagem"] for v in falhados))
            raise AirflowSkipException("no employer of this lote has an apuramento to fetch")
        return saida
