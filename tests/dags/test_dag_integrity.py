"""DAG integrity: every DAG file parses fast, without secrets or network, and follows the project's policy."""

import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    t0 = time.perf_counter()
    bag = DagBag(dag_folder=str(REPO / "dags"))
    bag.parse_seconds = time.perf_counter() - t0
    return bag


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "contribution_cycle" in dagbag.dags


def test_parsing_is_fast_and_does_no_io(dagbag):
    # A DAG file only wires tasks: no payroll, GX or HTTP at import time.
    assert dagbag.parse_seconds < 5.0


def test_policy_tags_retries_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert dag.catchup is False
        for task in dag.tasks:
            assert task.retries is not None, f"{dag_id}.{task.task_id} has no retries setting"
            assert task.doc_md or task.doc or getattr(task, "python_callable", None) is None or task.python_callable.__doc__, \
                f"{dag_id}.{task.task_id} has no docstring"


def test_contribution_cycle_shape(dagbag):
    dag = dagbag.dags["contribution_cycle"]
    ids = {t.task_id for t in dag.tasks}
    for expected in ["preparar", "ciclo_ee.preparar_folha", "ciclo_ee.comunicar_contratos", "ciclo_ee.enviar_valores",
                     "ciclo_ee.esperar_apuramento", "ciclo_ee.obter_apurados", "ciclo_ee.reconciliar",
                     "ciclo_ee.aprovacao_operador", "ciclo_ee.aplicar_decisao", "ciclo_ee.documentos_pagamento",
                     "ciclo_ee.relatorio_financas", "resumo"]:
        assert expected in ids
    # the quality gate comes before every call to the Segurança Social
    q = dag.get_task("ciclo_ee.preparar_folha")
    assert q.downstream_task_ids == {"ciclo_ee.rever_antes_do_envio"}
    # then the review: proposals applied only when the operator approves, before any contract change or value
    assert dag.get_task("ciclo_ee.comunicar_contratos").upstream_task_ids - {"preparar"} == {"ciclo_ee.aplicar_revisao"}
    rev = dag.get_task("ciclo_ee.revisao_operador")
    assert rev.options == ["Aplicar", "Não aplicar"] and rev.defaults == ["Não aplicar"]
    # no barrier across the portfolio: each employer's closing steps hang off its own fetch
    assert dag.get_task("ciclo_ee.obter_apurados").downstream_task_ids == {"ciclo_ee.reconciliar"}
    assert dag.get_task("ciclo_ee.reconciliar").upstream_task_ids - {"preparar"} == {"ciclo_ee.obter_apurados"}
    # mapped instances are labelled with the employer
    assert dag.get_task("ciclo_ee.enviar_valores").map_index_template == "{{ rotulo }}"
    # the approval is declared: Approve/Reject, Approve on timeout (silence by day 20)
    aprov = dag.get_task("ciclo_ee.aprovacao_operador")
    assert aprov.options == ["Approve", "Reject"] and aprov.defaults == ["Approve"]
    assert dag.params["dry_run"] is False
    assert dag.params["employers"] == []
    assert "0 6 2 * *" in repr(dag.timetable)  # day 2 of M+1, 06:00


def test_the_operator_questions_are_asked_again_when_their_task_fails(dagbag):
    """A question answered within seconds can be failed by Airflow 3.3 itself (apache/airflow#72716: the executor's
    late "success" of the paused attempt arrives while the resumed one runs). With retries the question is asked
    again, opening with why; without, the employer's month stops there."""
    from ciclo_airflow.aprovacao import aviso_de_repeticao

    dag = dagbag.dags["contribution_cycle"]
    for task_id in ("ciclo_ee.revisao_operador", "ciclo_ee.aprovacao_operador"):
        assert dag.get_task(task_id).retries >= 1, task_id
    assert aviso_de_repeticao(1) == ""
    assert aviso_de_repeticao(2).startswith("Pergunta repetida (tentativa 2)")
