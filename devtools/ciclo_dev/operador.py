"""Answering the confirmation approvals without the UI, as Airflow's HITL REST endpoint does
(``PATCH /api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/{map_index}/hitlDetails``): record the operator's
choice on the HITL detail and resume the parked task. Used by ``make demo`` (which plays the operator, and says
so) and by tests; production operators answer in the Airflow UI (Required Actions) or through that endpoint."""

from __future__ import annotations

import threading
import time

DAG_ID = "contribution_cycle"
TASK_ID = "ciclo_ee.aprovacao_operador"
TASK_REVISAO = "ciclo_ee.revisao_operador"


def pendentes(dag_id: str = DAG_ID, task_id: str = TASK_ID) -> list[tuple[str, int]]:
    from sqlalchemy import select

    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as s:
        return [(r.run_id, r.map_index) for r in s.execute(
            select(TI.run_id, TI.map_index).where(TI.dag_id == dag_id, TI.task_id == task_id,
                                                  TI.state == TaskInstanceState.AWAITING_INPUT)).all()]


def responder(run_id: str, map_index: int, opcao: str = "Approve", utilizador: str = "operador",
              dag_id: str = DAG_ID, task_id: str = TASK_ID, campos: dict | None = None) -> None:
    from sqlalchemy import select

    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.trigger import handle_event_submit
    from airflow.sdk.execution_time.hitl import HITLUser
    from airflow.triggers.base import TriggerEvent
    from airflow.sdk import timezone
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as s:
        ti = s.execute(select(TI).where(TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id,
                                        TI.map_index == map_index).with_for_update()).scalar_one()
        det = s.execute(select(HITLDetail).where(HITLDetail.ti_id == ti.id)).scalar_one()
        if det.response_received:
            # answered, yet still parked: ``dag.test()`` writes back the state the task ended with *after* running
            # it, so an answer given in that instant is overwritten (the run would wait forever); resume it again
            # with the same, recorded answer
            if ti.state == TaskInstanceState.AWAITING_INPUT:
                handle_event_submit(TriggerEvent(det.as_resume_event_payload()), task_instance=ti, session=s)
            return
        det.responded_by = HITLUser(id=utilizador, name=utilizador)
        det.responded_at = timezone.utcnow()
        det.chosen_options = [opcao]
        det.params_input = dict(campos or {})
        s.add(det)
        if ti.state in (TaskInstanceState.AWAITING_INPUT, TaskInstanceState.DEFERRED):
            handle_event_submit(TriggerEvent(det.as_resume_event_payload()), task_instance=ti, session=s)


NAO_APLICAR = "Não aplicar"


def opcao_padrao(task_id: str) -> str:
    """What a hands-off operator answers: confirm despite differences; apply nothing proposed before sending."""
    return NAO_APLICAR if task_id.endswith("revisao_operador") else "Approve"


def operador_automatico(opcao: str = "Approve", utilizador: str = "operador-demo", intervalo: float = 0.5,
                        ao_responder=None, task_id: str = TASK_ID, revisao: str | None = NAO_APLICAR
                        ) -> threading.Event:
    """A background thread answering every pending approval of ``task_id`` with ``opcao`` and, unless ``revisao`` is
    None, every review before sending with ``revisao`` (form fields left at their defaults); set the returned event
    to stop it."""
    parar = threading.Event()

    def ciclo():
        while not parar.is_set():
            try:
                for run_id, mi in pendentes(task_id=task_id):
                    responder(run_id, mi, opcao, utilizador, task_id=task_id)
                    if ao_responder:
                        ao_responder(run_id, mi, opcao)
                if revisao is not None and task_id != TASK_REVISAO:
                    for run_id, mi in pendentes(task_id=TASK_REVISAO):
                        responder(run_id, mi, revisao, utilizador, task_id=TASK_REVISAO)
            except Exception:  # noqa: BLE001 - dev tool: the schema may not exist yet; keep polling
                pass
            time.sleep(intervalo)

    threading.Thread(target=ciclo, name="operador", daemon=True).start()
    return parar
