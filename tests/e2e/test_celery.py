"""End to end on the distributed deployment: ``make airflow-celery`` (PostgreSQL, Redis, api-server, scheduler,
dag-processor, triggerer and two Celery workers on loopback, configured from deploy/ciclo.env like the compose file).

1. A portfolio run (3 employers) triggered through the REST API v2, the operator's approval answered through the
   REST API, the apuramento wait deferred to the triggerer; tasks seen on both workers (each worker has its own log
   folder, as it would on its own machine); then the ledger (PostgreSQL), the sandbox's request log (exactly one
   accepted POST per write per employer) and the mailbox.
2. The next month, where a worker is killed (SIGKILL, the whole process tree: a machine lost) while its
   ``enviar_valores`` POST is in flight, again while an ``obter_apurados`` task is half fetched, and again while
   ``documentos_pagamento`` polls a payment-document request the SS has already accepted (the sandbox's latency
   faults make those steps slow enough to hit): the tasks are retried on another worker, nothing is sent twice,
   nothing is missing from the ledger, the run succeeds.

Bounded in time; stops every process it started.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
import pytest
import yaml
from ciclo_dev.operador import opcao_padrao

REPO = Path(__file__).resolve().parents[2]
EMPLOYERS, WORKERS_PER_EE, BATCH = 3, 40, 40
RUN_BUDGET_S = 480  # one month's run on a loaded 2-core machine; the kills add two heartbeat timeouts (30 s)


def test_compose_and_loopback_share_one_configuration():
    """deploy/ciclo.env feeds every Airflow service of the compose file and the loopback path; the compose file
    sets none of its keys to another value (that would let the two drift)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from airflow_celery import SHARED_CONFIG, ler_config_partilhada

    shared = ler_config_partilhada()
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert shared["CICLO_QUEUE_PSI"] != shared["CICLO_QUEUE_LOCAL"]
    assert set(shared["CICLO_WORKER_QUEUES"].split(",")) >= {shared["CICLO_QUEUE_PSI"], shared["CICLO_QUEUE_LOCAL"]}
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
    common = compose["x-airflow-common"]
    paths = [f["path"] if isinstance(f, dict) else f for f in common["env_file"]]
    assert str(SHARED_CONFIG.relative_to(REPO)) in [p.lstrip("./") for p in paths]
    for name, svc in compose["services"].items():
        if name.startswith("airflow-"):
            assert svc["env_file"] == common["env_file"], name
            repetidas = {k: v for k, v in (svc.get("environment") or {}).items() if k in shared}
            assert all(str(v) == shared[k] for k, v in repetidas.items()), (name, repetidas)


def test_image_installs_runtime_requirements_only():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "requirements-dev" not in dockerfile and "devtools" not in dockerfile
    runtime = (REPO / "requirements.txt").read_text()
    assert "apache-airflow-providers-celery==" in runtime and "\nredis==" in runtime


# ------------------------------------------------------------------------------------------ the deployment
@pytest.fixture(scope="module")
def celery_deployment(tmp_path_factory):
    from ciclo.domain.periodo import AnoMes
    from datetime import date

    tmp = tmp_path_factory.mktemp("celery")
    home = tmp / "home"
    # two months in calendar order: the second is prepared (payroll, SS seed) only after the first ran
    mes2 = AnoMes.de_data(date.today()).anterior()
    mes1 = str(mes2.anterior())
    mes2 = str(mes2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__") and k != "AIRFLOW_HOME"}
    env.update({"CICLO_APROVACAO_MIN_MINUTOS": "30", "CICLO_FETCH_BATCH_SIZE": str(BATCH), "CICLO_RETRY_DELAY_SECONDS": "3"})
    out_path = tmp / "out.txt"
    out = open(out_path, "w")
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "airflow_celery.py"), "--home", str(home),
                             "--employers", str(EMPLOYERS), "--workers", str(WORKERS_PER_EE), "--ano-mes", mes1,
                             "--no-schedule"], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        fim = time.monotonic() + 300
        while "Airflow UI" not in out_path.read_text() or "Health:" not in out_path.read_text():
            assert proc.poll() is None, out_path.read_text()[-3000:]
            assert time.monotonic() < fim, "make airflow-celery did not come up: " + out_path.read_text()[-3000:]
            time.sleep(1)
        texto = out_path.read_text()
        print(f"deployment up in {time.monotonic() - t0:.0f} s")
        url = re.search(r"Airflow UI: (http://\S+)", texto).group(1)
        senha = re.search(r"password: (\S+)", texto).group(1)
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": senha}, timeout=30).json()["access_token"]
        yield Deployment(url=url, home=home, out=out_path, proc=proc, h={"Authorization": f"Bearer {token}"},
                         sandbox=re.search(r"PSI sandbox: (http://\S+)", texto).group(1),
                         smtp_port=int(re.search(r"SMTP catcher: 127\.0\.0\.1:(\d+)", texto).group(1)),
                         mes1=str(mes1), mes2=mes2,
                         pg_port=re.search(r"PostgreSQL: 127\.0\.0\.1:(\d+)", texto).group(1))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make airflow-celery stops everything it started
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        out.close()


class Deployment:
    def __init__(self, *, url, home, out, proc, h, sandbox, smtp_port, mes1, mes2, pg_port):
        self.url, self.home, self.out, self.proc, self.h = url, home, out, proc, h
        self.sandbox, self.mes1, self.mes2 = sandbox, mes1, mes2
        self.pg_port, self.smtp_port = pg_port, smtp_port
        self.aprovados: list[tuple[str, int, int]] = []   # (run, map_index, try): a retry asks again

    def api(self, method: str, path: str, **kw) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/v2{path}", headers=self.h, timeout=30, **kw)

    def sb(self, method: str, path: str, **kw):
        r = httpx.request(method, f"{self.sandbox}/_sandbox/{path}", timeout=30, **kw)
        r.raise_for_status()
        return r.json()

    def preparar_mes(self, ano_mes: str) -> None:
        """Payroll and the SS's seed for a further month, the way make airflow-celery prepared the first one."""
        sys.path.insert(0, str(REPO / "scripts"))
        from airflow_local import preparar_cenario

        preparar_cenario(self.home, self.sandbox, self.smtp_port, ano_mes, employers=EMPLOYERS, workers=WORKERS_PER_EE)

    def workers(self) -> dict:
        return json.loads((self.home / "workers.json").read_text())

    def trigger(self, ano_mes: str) -> str:
        r = self.api("POST", "/dags/contribution_cycle/dagRuns", json={"logical_date": None, "conf": {"ano_mes": ano_mes}})
        assert r.status_code == 200, r.text
        return r.json()["dag_run_id"]

    def aprovar_pendentes(self) -> None:
        """The operator, through the REST API: approve every Required Action waiting for an answer."""
        tis = self.api("GET", "/dags/contribution_cycle/dagRuns/~/taskInstances",
                       params={"state": "awaiting_input", "limit": 50}).json()
        for ti in tis.get("task_instances", []):
            r = self.api("PATCH", f"/dags/contribution_cycle/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
                         f"{ti['map_index']}/hitlDetails", json={"chosen_options": [opcao_padrao(ti["task_id"])], "params_input": {}})
            assert r.status_code == 200, r.text
            if ti["task_id"].endswith("aprovacao_operador"):   # the review before sending is answered, not counted
                self.aprovados.append((ti["dag_run_id"], ti["map_index"], ti["try_number"]))

    def tis(self, run_id: str, **params) -> list[dict]:
        r = self.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}/taskInstances", params={"limit": 500, **params})
        assert r.status_code == 200, r.text
        return r.json()["task_instances"]

    def estado(self, run_id: str) -> str:
        return self.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}").json()["state"]

    def seguir(self, run_id: str, budget: float = RUN_BUDGET_S, durante=None) -> str:
        fim = time.monotonic() + budget
        while time.monotonic() < fim:
            self.aprovar_pendentes()
            if durante:
                durante()
            estado = self.estado(run_id)
            if estado in ("success", "failed"):
                return estado
            time.sleep(0.3 if durante else 2)
        return f"still {self.estado(run_id)} after {budget:.0f} s"

    def workers_de(self, run_id: str, task_id: str, map_index: int, try_number: int) -> list[str]:
        """The workers that ran (part of) this attempt, latest last: those whose own log folder holds the attempt's
        log. A deferred task resumes after the triggerer on any worker, with the same try number."""
        achados = []
        for nome, w in self.workers().items():
            p = Path(w["logs"]) / (f"dag_id=contribution_cycle/run_id={run_id}/task_id={task_id}/"
                                   f"map_index={map_index}/attempt={try_number}.log")
            if p.exists():
                achados.append((p.stat().st_mtime, nome))
        return [nome for _, nome in sorted(achados)]

    def worker_de(self, run_id: str, task_id: str, map_index: int, try_number: int) -> str | None:
        """The worker running (or that last ran) this attempt."""
        ws = self.workers_de(run_id, task_id, map_index, try_number)
        return ws[-1] if ws else None

    def correndo_em(self, run_id: str, nome: str) -> list[dict]:
        """The task instances running on worker ``nome`` now."""
        return [ti for ti in self.tis(run_id) if ti["state"] == "running"
                and self.worker_de(run_id, ti["task_id"], ti["map_index"], ti["try_number"]) == nome]

    def matar_worker(self, nome: str) -> None:
        """SIGKILL the worker and every process under it (celery, its pool, task supervisors, tasks): a machine lost."""
        raiz = psutil.Process(self.workers()[nome]["pid"])
        todos = [raiz, *raiz.children(recursive=True)]
        for p in todos:
            try:
                p.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(todos, timeout=10)

    def reiniciar_worker(self, nome: str) -> None:
        """What compose's ``restart: always`` does: ``kill -USR1`` makes make airflow-celery start it again."""
        w = self.workers()[nome]
        prontos = Path(w["log"]).read_text(errors="replace").count(" ready.")
        self.proc.send_signal(signal.SIGUSR1)
        fim = time.monotonic() + 120
        while time.monotonic() < fim:
            w = self.workers()[nome]
            if Path(w["log"]).read_text(errors="replace").count(" ready.") > prontos:
                return
            time.sleep(1)
        raise AssertionError(f"{nome} did not come back")

    def ultimo_pedido(self) -> int:
        pedidos = self.sb("GET", "requests", params={"limit": 1000000})
        return max((p["id"] for p in pedidos), default=0)

    def ledger(self):
        from ciclo.ledger import Ledger

        return Ledger(f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/ciclo_ledger")

    def employers(self) -> list[str]:
        return [e["niss_ee"] for e in yaml.safe_load((self.home / "employers.yaml").read_text())["employers"]]

    def task_logs(self, task_id: str, run_id: str) -> str:
        pastas = [Path(w["logs"]) for w in self.workers().values()] + [self.home / "airflow" / "logs"]
        return "\n".join(p.read_text(errors="replace") for pasta in pastas
                         for p in pasta.glob(f"dag_id=contribution_cycle/run_id={run_id}/task_id={task_id}/**/*.log"))


def _verificar_mes(d: Deployment, ano_mes: str, desde_pedido: int) -> None:
    """Ledger, sandbox and mailbox agree that every employer went through exactly once."""
    ees = d.employers()
    lg = d.ledger()
    try:
        for ee in ees:
            subs = lg.submissoes.do_mes(ee, ano_mes)
            assert [s["estado"] for s in subs] == ["ACKNOWLEDGED"], (ee, subs)
            apur = lg.apuramentos.obter(ee, ano_mes)
            assert apur and apur["n_trabalhadores"] > 0, (ee, apur)
            assert len(lg.apurados.obtidos(ee, ano_mes)) == apur["n_trabalhadores"], ee  # nothing lost
    finally:
        lg.dispose()
    # the Segurança Social (the sandbox) holds exactly one submission per employer for the month ...
    for ee in ees:
        assert len(d.sb("GET", "submissions", params={"niss_ee": ee, "ano_mes": ano_mes})) == 1, ee
    # ... and accepted exactly one POST per write per employer during this run
    pedidos = [p for p in d.sb("GET", "requests", params={"method": "POST", "limit": 1000000}) if p["id"] > desde_pedido]
    for caminho in ("valores-remuneracao", "/confirmar", "pedido-emissao"):
        aceites = Counter(p["niss"] for p in pedidos if caminho in p["path"] and 200 <= p["status"] < 300)
        assert aceites == Counter({ee: 1 for ee in ees}), (caminho, aceites)
    # one finance email per employer for the month
    from ciclo.relatorio.formato import mes_pt

    emails = [p for p in (d.home / "mail").glob("*.eml") if mes_pt(ano_mes) in _assunto(p)]
    assert len(emails) == len(ees), [_assunto(p) for p in emails]


def _verificar_aprovacoes(d: Deployment, run_id: str, ano_mes: str) -> None:
    """The operator was asked (planted differences), each question answered once through the REST API, and every
    employer confirmed: those asked by approval, the others automatically."""
    aprovados = [a for a in d.aprovados if a[0] == run_id]
    assert aprovados and len(set(aprovados)) == len(aprovados), d.aprovados
    lg = d.ledger()
    try:
        confs = [lg.decisoes.obter(ee, ano_mes) for ee in d.employers()]
    finally:
        lg.dispose()
    assert all(c and c["estado"] == "CONFIRMADO" for c in confs), confs
    assert sum(c["modo"] == "aprovada" for c in confs) == len({(r, m) for r, m, _ in aprovados}), (confs, aprovados)


def _assunto(eml: Path) -> str:
    from email import message_from_bytes, policy

    return str(message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"])


# ------------------------------------------------------------------------------------------ the runs
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_portfolio_run_on_two_celery_workers(celery_deployment):
    d = celery_deployment
    t0 = time.monotonic()
    desde = d.ultimo_pedido()
    # the SS takes 30 s to apurar this month, so the wait must defer to the triggerer: with the sandbox's default
    # (3 s) a lote whose sensor starts late on a busy machine finds the apuramento already available and never defers
    antes = d.sb("GET", "config")
    d.sb("PUT", "config", json={"apuramento_delay_seconds": 30})
    try:
        run_id = d.trigger(d.mes1)
        estado = d.seguir(run_id)
    finally:
        d.sb("PUT", "config", json={"apuramento_delay_seconds": antes["apuramento_delay_seconds"]})
    print(f"month {d.mes1}: {estado} in {time.monotonic() - t0:.0f} s")
    assert estado == "success", (estado, [(t["task_id"], t["map_index"], t["state"]) for t in d.tis(run_id)
                                          if t["state"] != "success"])
    _verificar_mes(d, d.mes1, desde)
    _verificar_aprovacoes(d, run_id, d.mes1)

    # both workers ran tasks, each from its own folder (as on two machines)
    por_worker = Counter()
    for ti in d.tis(run_id):
        if ti["state"] == "success" and ti["try_number"]:
            por_worker.update(d.workers_de(run_id, ti["task_id"], ti["map_index"], ti["try_number"]))
    assert set(por_worker) == {"worker1", "worker2"}, por_worker
    # tasks went to their queues
    filas = {t["task_id"]: t["queue"] for t in d.tis(run_id)}
    assert filas["ciclo_ee.enviar_valores"] == filas["ciclo_ee.obter_apurados"] == "psi"
    assert filas["ciclo_ee.preparar_folha"] == filas["ciclo_ee.relatorio_financas"] == "local"
    # the apuramento wait went to the triggerer and came back
    logs = d.task_logs("ciclo_ee.esperar_apuramento", run_id)
    assert "deferring until" in logs and "apuramento of" in logs, [
        l for l in logs.splitlines() if "apuramento" in l or "defer" in l.lower()]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_worker_killed_mid_send_and_mid_fetch(celery_deployment):
    d = celery_deployment
    t0 = time.monotonic()
    d.preparar_mes(d.mes2)
    desde = d.ultimo_pedido()
    # the SS takes 60 s to apurar this month: the fetch must not start before the worker killed in the send is back
    # (its restart waits for Celery's "ready", 10-30 s on a busy 2-core machine); with the default 3 s the fetch was
    # once over during the restart, and no worker could be killed in it (restored below)
    antes = d.sb("GET", "config")
    d.sb("PUT", "config", json={"apuramento_delay_seconds": 60})
    # every valores-remuneracao POST waits 8 s at the SS's door: long enough to kill the worker sending one
    d.sb("PUT", "faults", json=[{"mode": "latency", "method": "POST", "path": "valores-remuneracao",
                                 "latency_ms": 8000, "times": EMPLOYERS}])
    run_id = d.trigger(d.mes2)
    mortos: list[tuple[str, str, int, int]] = []  # (task_id, worker, map_index, try_number)

    def matar_se_so(task_id: str, ti: dict, w: str) -> bool:
        """Kill ``w`` while it runs ``ti``, but only when every task it runs has a retry left. (Killing it during a
        task with retries=0, e.g. the approval, fails that employer: see the report / OPERATIONS.md.)"""
        outros = d.correndo_em(run_id, w)
        if any(o["try_number"] > o["max_tries"] for o in outros):
            return False
        d.matar_worker(w)
        mortos.append((task_id, w, ti["map_index"], ti["try_number"]))
        return True

    def matar_no_envio():
        faults = d.sb("GET", "faults")["faults"]
        if mortos or (faults and faults[0]["times"] == EMPLOYERS):
            return  # not yet: no slow POST has started
        for ti in [t for t in d.tis(run_id) if t["task_id"] == "ciclo_ee.enviar_valores" and t["state"] == "running"]:
            w = d.worker_de(run_id, ti["task_id"], ti["map_index"], ti["try_number"])
            if w and matar_se_so("ciclo_ee.enviar_valores", ti, w):
                return

    fim = time.monotonic() + RUN_BUDGET_S
    while not mortos and time.monotonic() < fim and d.estado(run_id) not in ("success", "failed"):
        d.aprovar_pendentes()   # the review before sending (planted differences) comes first
        matar_no_envio()
        time.sleep(0.3)
    assert mortos, "no enviar_valores was caught in flight"
    # the batches of valores apurados: each worker's GET takes 0.5–4.5 s, so a batch is fetched over seconds; and
    # the first poll after a payment-document request waits 8 s: the request has been made at the SS (and recorded
    # with its chave in the ledger) when the worker dies, so the retry must resume it, never ask again
    d.sb("PUT", "faults", json=[{"mode": "latency", "method": "GET", "path": r"valores-apurados/.*/trabalhador/[0-9]+$",
                                 "latency_ms": 500, "jitter_ms": 4000},
                                {"mode": "latency", "method": "GET", "path": "documento-pagamento/consulta-pedido",
                                 "latency_ms": 8000, "times": EMPLOYERS}])
    # the killed send is retried on the surviving worker; then the killed worker is started again
    morto_envio = mortos[0]
    while time.monotonic() < fim:
        d.aprovar_pendentes()
        ti = d.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}/taskInstances/{morto_envio[0]}/{morto_envio[2]}").json()
        if ti["state"] == "success":
            break
        time.sleep(2)
    assert ti["state"] == "success" and ti["try_number"] > morto_envio[3], ti
    outro = d.worker_de(run_id, morto_envio[0], morto_envio[2], ti["try_number"])
    assert outro and outro != morto_envio[1], (outro, morto_envio)
    d.reiniciar_worker(morto_envio[1])

    lg = d.ledger()

    reinicio_pedido = []

    def matar_na_obtencao_e_na_emissao():
        if len(mortos) == 2 and not reinicio_pedido:
            tid, w, mi, tn = mortos[1]
            ti = d.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}/taskInstances/{tid}/{mi}").json()
            if ti["state"] == "success":  # retried elsewhere: bring the dead worker back (restart: always)
                d.proc.send_signal(signal.SIGUSR1)
                reinicio_pedido.append(True)
        if len(mortos) == 2:
            if not reinicio_pedido:
                return  # the worker killed in the fetch is not back yet: killing the other would leave none
            lenta = [f for f in d.sb("GET", "faults")["faults"] if "consulta-pedido" in f["path"]]
            if lenta and lenta[0]["times"] == EMPLOYERS:
                return  # no payment-document poll has started yet
            for ti in [t for t in d.tis(run_id) if t["task_id"] == "ciclo_ee.documentos_pagamento"
                       and t["state"] == "running"]:
                w = d.worker_de(run_id, ti["task_id"], ti["map_index"], ti["try_number"])
                if w and matar_se_so("ciclo_ee.documentos_pagamento", ti, w):
                    return
        if len(mortos) > 1:
            return
        correndo = [(ti, d.worker_de(run_id, ti["task_id"], ti["map_index"], ti["try_number"]))
                    for ti in d.tis(run_id) if ti["task_id"] == "ciclo_ee.obter_apurados" and ti["state"] == "running"]
        correndo = [(ti, w) for ti, w in correndo if w]
        # a count that is not a multiple of the batch size (CICLO_FETCH_BATCH_SIZE) is a batch half done
        if correndo and any(len(lg.apurados.obtidos(ee, d.mes2)) % BATCH for ee in d.employers()):
            for ti, w in correndo:
                if matar_se_so("ciclo_ee.obter_apurados", ti, w):
                    return

    try:
        estado = d.seguir(run_id, budget=max(30.0, fim - time.monotonic()), durante=matar_na_obtencao_e_na_emissao)
    finally:
        lg.dispose()
        d.sb("DELETE", "faults")
        d.sb("PUT", "config", json={"apuramento_delay_seconds": antes["apuramento_delay_seconds"]})
    print(f"month {d.mes2} with workers killed {mortos}: {estado} in {time.monotonic() - t0:.0f} s")
    assert estado == "success", (estado, [(t["task_id"], t["map_index"], t["state"]) for t in d.tis(run_id)
                                          if t["state"] != "success"])
    assert [m[0] for m in mortos] == ["ciclo_ee.enviar_valores", "ciclo_ee.obter_apurados", "ciclo_ee.documentos_pagamento"], mortos
    tid, w, mi, tn = mortos[1]
    ti = d.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}/taskInstances/{tid}/{mi}").json()
    assert ti["try_number"] > tn
    assert d.worker_de(run_id, tid, mi, ti["try_number"]) not in (None, w)  # retried on the other worker
    tid, w, mi, tn = mortos[2]
    ti = d.api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}/taskInstances/{tid}/{mi}").json()
    assert ti["state"] == "success" and ti["try_number"] > tn, ti  # retried (on whichever worker was up)
    _verificar_mes(d, d.mes2, desde)  # nothing sent twice (one pedido-emissao per employer), nothing lost

    lg = d.ledger()
    try:
        assert all(lg.documentos.do_mes(ee, d.mes2) for ee in d.employers())  # every employer has its payment document
    finally:
        lg.dispose()
    _verificar_aprovacoes(d, run_id, d.mes2)
