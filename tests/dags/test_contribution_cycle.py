"""``contribution_cycle`` end to end with ``dag.test()``: the real sandbox over HTTP, a real SMTP server, the ledger.

Each run generates payroll for two employers, seeds the sandbox with what the Segurança Social already knows and
runs the whole DAG in-process. Outcomes are checked where a user would look: the ledger, the sandbox's request
log, the mailbox, the summary.
"""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

from decimal import Decimal

import openpyxl
import pytest

from ciclo_dev.cenario import preparar
from ciclo_dev.smtp_catcher import SmtpCatcher

MES = "202610"
pytestmark = pytest.mark.slow


@pytest.fixture
def ciclo(tmp_path, sandbox, airflow_db, monkeypatch):
    """Prepare a scenario and return ``run(**conf)`` → (dag_run, summary dict)."""
    smtp = SmtpCatcher(tmp_path / "mail").start()
    monkeypatch.setenv("CICLO_RETRY_DELAY_SECONDS", "1")
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 2, "emissao_delay_seconds": 0.3})
    estado = {"cenario": None}

    def preparar_cenario(**kw):
        kw.setdefault("workers", 40)
        kw.setdefault("employers", 2)
        cen = preparar(tmp_path / "cen", sandbox.url, ano_mes=MES, seed=11, smtp_port=smtp.port, **kw)
        for k, v in cen.env.items():
            monkeypatch.setenv(k, v)
        estado["cenario"] = cen
        return cen

    def run(**conf):
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag(dag_folder=str(__import__("pathlib").Path(__file__).resolve().parents[2] / "dags")).get_dag(
            "contribution_cycle")
        dr = dag.test(run_conf={"ano_mes": MES, **conf})
        cen = estado["cenario"]
        resumo = json.loads((cen.pasta / "home" / f"summary-{MES}.json").read_text())
        return dr, {e["niss_ee"]: e for e in resumo["employers"]}

    yield preparar_cenario, run, smtp
    smtp.stop()


def _estados(run_id: str) -> dict[str, set[str]]:
    """Each task's states (over its map indexes) in a run, from Airflow's metadata DB."""
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import select

    saida: dict[str, set[str]] = {}
    with create_session() as s:
        for task_id, estado in s.execute(select(TI.task_id, TI.state).where(TI.run_id == run_id)):
            saida.setdefault(task_id, set()).add(str(estado).rsplit(".", 1)[-1].lower())
    return saida


def _posts(sandbox, path):
    return sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": path, "limit": 100000})


def test_happy_path_two_employers_then_a_second_run_sends_nothing(ciclo, sandbox):
    preparar_cenario, run, smtp = ciclo
    cen = preparar_cenario()
    dr, res = run()
    assert str(dr.state).endswith("success")
    ees = [e["niss_ee"] for e in cen.employers]
    for ee in ees:
        e = res[ee]
        assert e["estado"] == "CONCLUIDO", e
        assert e["envio"] == "ACKNOWLEDGED" and e["apurados_obtidos"] == e["apurados_esperados"] > 0
        assert e["confirmacao"] == "CONFIRMADO (automatica)" and len(e["documentos_pagamento"]) == 1
    for path in ("valores-remuneracao", "/confirmar", "pedido-emissao"):
        assert len(_posts(sandbox, path)) == 2, path  # one per employer
    # the apuramento delay made the sensor defer: the monthly state was polled until APURADO
    mensal = sandbox.admin("GET", "requests", params={"method": "GET", "path_contains": "/mensal/", "limit": 1000})
    assert len(mensal) >= 2 * 2
    # finance got an email per employer, with the workbook and the payment document
    mails = smtp.wait_for(2)
    assert len(mails) == 2
    msg = BytesParser(policy=policy.default).parsebytes(mails[0].read_bytes())
    nomes = [p.get_filename() for p in msg.iter_attachments()]
    assert any(n.endswith(".xlsx") for n in nomes) and any(n.startswith("documento-pagamento-") for n in nomes)
    xlsx = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx"))
    (cen.pasta / "a.xlsx").write_bytes(xlsx.get_content())
    wb = openpyxl.load_workbook(cen.pasta / "a.xlsx")
    assert wb.sheetnames == ["Resumo", "Naturezas", "Incidência", "Trabalhadores", "Diferenças", "Documentos de pagamento",
                             "Histórico", "Auditoria"]
    # gross, exempt and subject per natureza from the payroll: the meal allowance within the legal limit is exempt
    inc = {r[0].value: (r[2].value, r[3].value, r[4].value) for r in wb["Incidência"].iter_rows(min_row=2)}
    assert inc and all(abs(b - (i + s)) < 0.005 for b, i, s in inc.values())
    assert wb["Trabalhadores"].max_row == 41  # header + 40 workers
    # no question for the operator: the approval skipped the task that applies an answer itself (in the same loop
    # as the automatic confirmation), so the payment documents did not wait a scheduling loop for that skip
    estados = _estados(dr.run_id)
    assert estados["ciclo_ee.aprovacao_operador"] == {"success"}, estados
    assert estados["ciclo_ee.aplicar_decisao"] == {"skipped"}, estados
    assert estados["ciclo_ee.documentos_pagamento"] == estados["ciclo_ee.confirmar_automaticamente"] == {"success"}

    # a second run of the same month sends, confirms and issues nothing again
    dr2, res2 = run()
    assert str(dr2.state).endswith("success")
    for path in ("valores-remuneracao", "/confirmar", "pedido-emissao"):
        assert len(_posts(sandbox, path)) == 2, path
    assert all(res2[ee]["estado"] == "CONCLUIDO" for ee in ees)


def test_quality_error_stops_only_that_employer_and_nothing_of_it_reaches_the_sandbox(ciclo, sandbox):
    preparar_cenario, run, _ = ciclo
    cen = preparar_cenario(anomalias="DQ-NISS-02:1")
    mau = cen.anomalias_ee
    bom = next(e["niss_ee"] for e in cen.employers if e["niss_ee"] != mau)
    antes = {r["id"] for r in sandbox.admin("GET", "requests", params={"limit": 100000})}
    dr, res = run()
    assert str(dr.state).endswith("failed")  # the run says an employer did not get through
    assert res[mau]["estado"] == "BLOQUEADO_QUALIDADE" and res[mau]["erros_qualidade"] >= 1
    assert res[bom]["estado"] == "CONCLUIDO"
    novos = [r for r in sandbox.admin("GET", "requests", params={"limit": 100000}) if r["id"] not in antes]
    assert novos and not [r for r in novos if mau in r["path"] or r["niss"] == mau]
    assert (cen.pasta / "home" / "reports" / mau / MES / "quality-report.html").exists()
    notas = (cen.pasta / "home" / "notifications.jsonl").read_text()
    assert "data-quality error(s) block sending" in notas


def test_lost_acknowledgement_leaves_exactly_one_submission(ciclo, sandbox):
    preparar_cenario, run, _ = ciclo
    cen = preparar_cenario()
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "valores-remuneracao", "mode": "lost_ack", "times": 2})
    dr, res = run()
    assert str(dr.state).endswith("success")
    for e in cen.employers:
        subs = sandbox.admin("GET", "submissions", params={"niss_ee": e["niss_ee"], "ano_mes": MES})
        assert len(subs) == 1, subs
        assert res[e["niss_ee"]]["comprovativo"] == subs[0]["comprovativoEntrega"]
    assert len(_posts(sandbox, "valores-remuneracao")) == 2


def test_failed_fetch_then_rerun_fetches_only_the_rest(ciclo, sandbox):
    preparar_cenario, run, _ = ciclo
    cen = preparar_cenario()
    ee = cen.employers[0]["niss_ee"]
    # a few workers' valores apurados keep failing (500) during the first run
    alvo = "|".join(t["niss_trabalhador"] for t in _trabalhadores(cen, ee)[:3])
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": f"/{ee}/ano-mes/{MES}/trabalhador/({alvo})$",
                                          "mode": "error", "status": 500})
    dr, res = run()
    assert str(dr.state).endswith("failed")
    assert res[ee]["apurados_obtidos"] == res[ee]["apurados_esperados"] - 3
    sandbox.admin("DELETE", "faults")
    antes = {r["id"] for r in sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/", "limit": 100000})}
    dr2, res2 = run()
    assert str(dr2.state).endswith("success"), res2
    novos = [r for r in sandbox.admin("GET", "requests", params={"method": "GET", "path_contains": f"/{ee}/ano-mes/{MES}/trabalhador/",
                                                                 "limit": 100000}) if r["id"] not in antes]
    assert sorted(r["path"].rsplit("/", 1)[1] for r in novos) == sorted(alvo.split("|"))
    assert res2[ee]["apurados_obtidos"] == res2[ee]["apurados_esperados"]


def _trabalhadores(cen, ee):
    import csv

    with open(cen.pasta / "payroll" / ee / MES / "trabalhadores.csv", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_bad_credentials_fail_the_employer_fast_with_a_clear_message(ciclo, sandbox, monkeypatch):
    preparar_cenario, run, _ = ciclo
    cen = preparar_cenario()
    mau = cen.employers[0]
    monkeypatch.setenv(f"AIRFLOW_CONN_{mau['conn_id'].upper()}", json.dumps(
        {"conn_type": "psi", "host": sandbox.url, "login": mau["niss_ee"], "password": "palavra-errada"}))
    dr, res = run()
    assert str(dr.state).endswith("failed")
    assert res[cen.employers[1]["niss_ee"]]["estado"] == "CONCLUIDO"
    # stopped at its first call to the SS (the review's contract query), before anything was sent
    assert res[mau["niss_ee"]]["envio"] is None and res[mau["niss_ee"]]["estado"] == "ENVIO_POR_FAZER"
    assert not _posts(sandbox, f"valores-remuneracao/entidade-empregadora/{mau['niss_ee']}")
    notas = (cen.pasta / "home" / "notifications.jsonl").read_text()
    assert f"credentials rejected for NISS {mau['niss_ee']}" in notas
    assert "palavra-errada" not in notas
    # failed fast: one rejected SOAP call, not a retry storm
    rejeitados = [r for r in sandbox.admin("GET", "requests", params={"limit": 100000}) if r["status"] == 401]
    assert len(rejeitados) == 1


def test_differences_wait_for_the_operator_and_confirm_after_approval(ciclo, sandbox):
    from ciclo_dev.operador import operador_automatico

    preparar_cenario, run, _ = ciclo
    cen = preparar_cenario(planted_differences=True)
    ee = cen.employers[0]["niss_ee"]
    respostas = []
    parar = operador_automatico("Approve", "ana.operadora", intervalo=0.3,
                                ao_responder=lambda *a: respostas.append(a))
    try:
        dr, res = run()
    finally:
        parar.set()
    assert str(dr.state).endswith("success")
    assert len(respostas) == 1  # only the employer with differences asked
    estados = _estados(dr.run_id)
    assert estados["ciclo_ee.aplicar_decisao"] >= {"success"}, estados   # the answer applied where it was asked
    assert res[ee]["confirmacao"] == "CONFIRMADO (aprovada)"
    assert res[cen.employers[1]["niss_ee"]]["confirmacao"] == "CONFIRMADO (automatica)"
    assert len(_posts(sandbox, "/confirmar")) == 2


def test_operator_rejection_stops_that_employer_and_notifies(ciclo, sandbox):
    from ciclo_dev.operador import operador_automatico

    preparar_cenario, run, smtp = ciclo
    cen = preparar_cenario(planted_differences=True)
    ee = next(iter(cen.plantado))
    parar = operador_automatico("Reject", "rui.operador", intervalo=0.3)
    try:
        dr, res = run()
    finally:
        parar.set()
    assert str(dr.state).endswith("failed")
    assert res[ee]["confirmacao"] == "REJEITADO (rejeitada)" and not res[ee]["documentos_pagamento"]
    outro = next(e["niss_ee"] for e in cen.employers if e["niss_ee"] != ee)
    assert res[outro]["estado"] == "CONCLUIDO"
    assert len(_posts(sandbox, "/confirmar")) == 1 and len(_posts(sandbox, "pedido-emissao")) == 1
    notas = (cen.pasta / "home" / "notifications.jsonl").read_text()
    assert "the operator rejected confirming" in notas
    assert len(smtp.wait_for(2)) == 2  # finance still hears about both, with the decision


@pytest.mark.postgres
def test_happy_path_with_the_ledger_on_postgresql(ciclo, sandbox):
    from tests.ledger_fixtures import PG_URL, _pg_ledger_url

    if not PG_URL:
        pytest.skip("PostgreSQL not started (CICLO_TEST_PG_URL unset); make test starts one")
    preparar_cenario, run, smtp = ciclo
    url = _pg_ledger_url()
    cen = preparar_cenario(ledger_url=url, planted_differences=True)
    from ciclo_dev.operador import operador_automatico

    parar = operador_automatico("Approve", "ana.operadora", intervalo=0.3)
    try:
        dr, res = run()
    finally:
        parar.set()
    assert str(dr.state).endswith("success")
    assert {e["estado"] for e in res.values()} == {"CONCLUIDO"}
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.connect() as c:
        assert c.execute(sa.text("SELECT COUNT(*) FROM submissao WHERE estado = 'ACKNOWLEDGED'")).scalar() == 2
        assert c.execute(sa.text("SELECT COUNT(*) FROM diferenca WHERE classe = 'REMUNERACAO_PERMANENTE_DIFERENTE'")).scalar() == 1
        assert c.execute(sa.text("SELECT COUNT(DISTINCT niss_ee) FROM documento_pagamento")).scalar() == 2
    eng.dispose()
    assert len(smtp.wait_for(2)) == 2


def test_one_email_per_run_when_configured_and_deadline_warnings_reach_the_operator(ciclo, sandbox, monkeypatch):
    preparar_cenario, run, smtp = ciclo
    monkeypatch.setenv("CICLO_EMAIL_POR", "execucao")
    cen = preparar_cenario()
    dr, res = run()
    assert str(dr.state).endswith("success")
    [mail] = smtp.wait_for(1)
    msg = BytesParser(policy=policy.default).parsebytes(mail.read_bytes())
    xlsx = [p.get_filename() for p in msg.iter_attachments() if p.get_filename().endswith(".xlsx")]
    assert sorted(xlsx) == sorted(f"reconciliacao-{e['niss_ee']}-{MES}.xlsx" for e in cen.employers)
    corpo = msg.get_body(("html",)).get_content()
    assert all(e["niss_ee"] in corpo for e in cen.employers)
    # the payment deadline of 202610 (2026-11-25) is near or past, and nothing marks it paid: the operator is warned
    avisos = [json.loads(l) for l in (cen.pasta / "home" / "notifications.jsonl").read_text().splitlines()]
    prazos = [a for a in avisos if a.get("tipo") == "prazo"]
    assert {a["niss_ee"] for a in prazos} == {e["niss_ee"] for e in cen.employers}
    assert all(any(x.startswith(("ATRASADO: pagar", "PRAZO PRÓXIMO: pagar")) for x in a["alertas"]) for a in prazos)


def test_more_employers_than_the_mapping_ceiling_run_in_at_most_max_map_length_lotes(ciclo, sandbox, monkeypatch):
    """max_map_length lowered to 8 and one employer per lote asked: 10 employers still run, in 8 lotes."""
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    preparar_cenario, run, smtp = ciclo
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "8")
    monkeypatch.setenv("CICLO_LOTE_EMPREGADORES", "1")
    cen = preparar_cenario(employers=10, workers=8)
    dr, res = run()
    assert str(dr.state).endswith("success"), res
    assert len(res) == 10 and {e["estado"] for e in res.values()} == {"CONCLUIDO"}
    with create_session() as s:
        mapas = s.execute(select(func.count()).where(TI.dag_id == "contribution_cycle", TI.run_id == dr.run_id,
                                                     TI.task_id == "ciclo_ee.preparar_folha")).scalar()
    assert mapas == 8
    assert len(_posts(sandbox, "valores-remuneracao")) == 10
    assert len(smtp.wait_for(10)) == 10


def test_a_base_salary_that_differs_at_the_ss_is_shown_before_sending_and_fixed_once_approved(ciclo, sandbox,
                                                                                              monkeypatch):
    """The SS holds another base salary for a worker: the review shows it with the fixing change before any value is
    sent; the operator applies it; the apuramento then agrees with the payroll (confirmed automatically)."""
    import csv
    from decimal import Decimal

    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from ciclo_dev.divergencias import plantar_divergencia
    from ciclo_dev.operador import TASK_REVISAO, operador_automatico

    preparar_cenario, run, _ = ciclo
    monkeypatch.setenv("CICLO_APROVACAO_MIN_MINUTOS", "0.2")   # a difference left would end in silence, not a hang
    cen = preparar_cenario()
    ee = cen.employers[0]["niss_ee"]
    with open(cen.pasta / "payroll" / ee / MES / "contratos.csv", encoding="utf-8-sig") as fh:
        linhas = list(csv.DictReader(fh))
    contagem = {}
    for l in linhas:
        contagem[l["niss_trabalhador"]] = contagem.get(l["niss_trabalhador"], 0) + 1
    alvo = next(l for l in linhas if contagem[l["niss_trabalhador"]] == 1 and l["modalidade_contrato"] == "A"
                and not l["horas_trabalho"] and l["inicio_contrato"] < f"{MES[:4]}-{MES[4:]}-01")
    antiga = Decimal(alvo["remuneracao_base"]) - Decimal("75.00")
    plantar_divergencia(sandbox.url, ee, alvo["niss_trabalhador"], remuneracao_base=antiga)
    parar = operador_automatico("Aplicar", "ana.operadora", intervalo=0.3, task_id=TASK_REVISAO)
    try:
        dr, res = run()
    finally:
        parar.set()
    assert str(dr.state).endswith("success"), res
    assert res[ee]["confirmacao"] == "CONFIRMADO (automatica)"   # no difference left for that worker
    with create_session() as s:
        [corpo] = s.execute(select(HITLDetail.body).join(TI, TI.id == HITLDetail.ti_id).where(
            TI.run_id == dr.run_id, TI.task_id == TASK_REVISAO)).scalars().all()
    assert alvo["niss_trabalhador"] in corpo and f"a Segurança Social tem {antiga} €" in corpo
    assert len(_posts(sandbox, "alterarContratoTrabalho")) >= 1
    _a_stale_executor_success_makes_the_question_retry(dr.run_id, TASK_REVISAO)


def _a_stale_executor_success_makes_the_question_retry(run_id: str, task_id: str) -> None:
    """Airflow 3.3's race (apache/airflow#72716), replayed through the scheduler's own event handling on a question
    this run asked: the operator answered at once, the resumed attempt is running, and only then does the executor
    report the paused attempt's exit ("success"). Airflow takes that for a task killed from outside; the question's
    retries turn it into a retry (the question asked again) instead of a failed month. Only the executor's event
    buffer is staged: the timing is what a real executor cannot be made to produce on demand."""
    from airflow.callbacks.database_callback_sink import DatabaseCallbackSink
    from airflow.executors.base_executor import BaseExecutor
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.dagbag import DBDagBag
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as s:
        ti = s.scalars(select(TI).where(TI.run_id == run_id, TI.task_id == task_id)).one()
        ti.state, ti.next_method = TaskInstanceState.RUNNING, "execute_complete"   # the resumed attempt
        s.flush()
        executor = BaseExecutor()
        executor.callback_sink = DatabaseCallbackSink()
        executor.event_buffer[ti.key] = (TaskInstanceState.SUCCESS, None)         # the paused attempt's exit
        SchedulerJobRunner.process_executor_events(executor, ti.queued_by_job_id, DBDagBag(), s)
    with create_session() as s:
        estado = s.scalar(select(TI.state).where(TI.run_id == run_id, TI.task_id == task_id))
    assert estado == TaskInstanceState.UP_FOR_RETRY, estado   # with retries=0: failed, and the month stops


def test_a_closed_month_with_a_changed_payroll_is_corrected_through_an_approved_pedido(ciclo, sandbox, monkeypatch):
    """The month was sent and confirmed; a later run with a changed payroll is not re-sent as valores: the review
    proposes a Pedido (art. 26.º), the operator approves it, the SS accepts it and re-runs the apuramento, and the
    month is fetched, reconciled and decided again."""
    import csv

    from ciclo_dev.operador import TASK_REVISAO, operador_automatico

    preparar_cenario, run, _ = ciclo
    monkeypatch.setenv("CICLO_APROVACAO_MIN_MINUTOS", "0.2")
    cen = preparar_cenario()
    dr, res = run()
    assert str(dr.state).endswith("success"), res
    ee = cen.employers[0]["niss_ee"]
    assert res[ee]["estado"] == "CONCLUIDO"

    # the payroll of the closed month changes: a monthly bonus of 100 € (natureza B) forgotten for one worker
    f = cen.pasta / "payroll" / ee / MES / "remuneracoes.csv"
    with open(f, encoding="utf-8-sig") as fh:
        linhas = list(csv.DictReader(fh))
    com_b = {l["niss_trabalhador"] for l in linhas if l["natureza"] == "B"}
    alvo = next(l for l in linhas if l["natureza"] == "P" and l["niss_trabalhador"] not in com_b)
    linhas.append({**{k: "" for k in linhas[0]}, "niss_trabalhador": alvo["niss_trabalhador"], "natureza": "B",
                   "data_inicio": alvo["data_inicio"], "data_fim": alvo["data_fim"], "valor": "100.00",
                   "dias": alvo["dias"]})
    with open(f, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(linhas[0]))
        w.writeheader()
        w.writerows(linhas)
    sandbox.admin("PUT", "pedidos/config", json={"analise_segundos": 0.5, "decisao_segundos": 0.5})
    # finance paid the month's document before the correction
    [pago] = res[ee]["documentos_pagamento"]
    sandbox.admin("POST", "pagamentos", json={"numeroDocumentoPagamento": pago})
    antes = _obrigacao(sandbox, ee)
    parar = operador_automatico("Aplicar", "ana.operadora", intervalo=0.3, task_id=TASK_REVISAO)
    try:
        dr2, res2 = run()
    finally:
        parar.set()
    assert str(dr2.state).endswith("success"), res2
    assert len(_posts(sandbox, "valores-remuneracao")) == 2              # never re-sent as valores
    assert len(_posts(sandbox, f"eeaoc/pedido/entidade-empregadora/{ee}")) == 1   # one Pedido, approved
    assert res2[ee]["estado"] == "CONCLUIDO" and res2[ee]["pedido_correcao"]
    # the SS re-ran the apuramento: a new document for exactly the difference the correction added
    depois = _obrigacao(sandbox, ee)
    assert depois > antes
    novos = [d for d in res2[ee]["documentos_pagamento"] if d != pago]
    assert len(novos) == 1
    doc = _documento(sandbox, ee, novos[0])
    assert Decimal(str(doc["valor"])) == depois - antes
    outro = cen.employers[1]["niss_ee"]
    assert res2[outro]["estado"] == "CONCLUIDO" and not res2[outro]["pedido_correcao"]


def _obrigacao(sandbox, ee):
    import httpx

    r = httpx.get(f"{sandbox.url}/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/mensal/ano-mes/{MES}",
                  auth=(ee, "sandbox"), timeout=30)
    r.raise_for_status()
    from decimal import Decimal

    return Decimal(str(r.json()["totalObrigacao"]))


def _documento(sandbox, ee, numero):
    import httpx

    r = httpx.get(f"{sandbox.url}/ptss/rest/ci/documento-pagamento/consulta", auth=(ee, "sandbox"), timeout=30)
    r.raise_for_status()
    corpo = r.json()
    docs = corpo.get("resultado") if isinstance(corpo, dict) else corpo
    return next(d for d in docs if d["numeroDocumentoPagamento"] == numero)
