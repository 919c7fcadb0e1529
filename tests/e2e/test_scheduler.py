"""End to end through the real scheduler: ``make airflow`` (airflow standalone: api-server, scheduler,
dag-processor, triggerer on loopback), ``contribution_cycle`` triggered with params through the REST API v2,
the operator's approval given through the REST API, followed to success; then the ledger's summary, the sandbox's
request log, the SMTP mailbox and the task logs (the apuramento wait really deferred to the triggerer) are checked.
Bounded in time; stops every process it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ciclo_dev.processo import free_port

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def airflow_local(tmp_path):
    port = free_port()
    home = tmp_path / "af"
    env = {**os.environ, "CICLO_APROVACAO_MIN_MINUTOS": "30"}
    for k in [k for k in env if k.startswith("AIRFLOW__") or k == "AIRFLOW_HOME"]:
        env.pop(k)  # the test session's own Airflow settings must not leak into the standalone
    out = open(tmp_path / "out.txt", "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "airflow_local.py"), "--port", str(port),
                             "--home", str(home)], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        fim = time.monotonic() + 300
        while "Airflow UI" not in (tmp_path / "out.txt").read_text():
            assert proc.poll() is None, (tmp_path / "out.txt").read_text()[-3000:]
            assert time.monotonic() < fim, "make airflow did not come up"
            time.sleep(1)
        texto = (tmp_path / "out.txt").read_text()
        senha = re.search(r"password: (\S+)", texto).group(1)
        sandbox = re.search(r"PSI sandbox: (http://\S+)", texto).group(1)
        url = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": senha}, timeout=30).json()["access_token"]
        yield {"url": url, "home": home, "sandbox": sandbox, "h": {"Authorization": f"Bearer {token}"}}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()


def test_cycle_through_the_scheduler_with_approval_via_rest(airflow_local):
    a = airflow_local
    api = lambda m, p, **kw: httpx.request(m, f"{a['url']}/api/v2{p}", headers=a["h"], timeout=30, **kw)  # noqa: E731
    ano_mes = re.search(r"ano_mes=(\d{6})", (a["home"].parent / "out.txt").read_text()).group(1)
    r = api("POST", "/dags/contribution_cycle/dagRuns", json={"logical_date": None, "conf": {"ano_mes": ano_mes}})
    assert r.status_code == 200, r.text
    run_id = r.json()["dag_run_id"]
    aprovados = []
    fim = time.monotonic() + 420
    estado = None
    while time.monotonic() < fim:
        # any run (the scheduled one for the same month may come first) waiting for the operator: approve via REST
        tis = api("GET", "/dags/contribution_cycle/dagRuns/~/taskInstances", params={"state": "awaiting_input", "limit": 50}).json()
        for ti in tis.get("task_instances", []):
            rr = api("PATCH", f"/dags/contribution_cycle/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails",
                     json={"chosen_options": ["Approve"], "params_input": {}})
            assert rr.status_code == 200, rr.text
            aprovados.append((ti["dag_run_id"], ti["map_index"]))
        estado = api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}").json()["state"]
        if estado in ("success", "failed"):
            break
        time.sleep(3)
    assert estado == "success", estado
    assert len(aprovados) == 1  # one employer had differences; asked once, whichever run got there first

    resumo = json.loads((a["home"] / "home" / f"summary-{ano_mes}.json").read_text())
    por_ee = {e["niss_ee"]: e for e in resumo["employers"]}
    assert {e["estado"] for e in por_ee.values()} == {"CONCLUIDO"}
    assert sorted(e["confirmacao"] for e in por_ee.values()) == ["CONFIRMADO (aprovada)", "CONFIRMADO (automatica)"]
    pedidos = httpx.get(f"{a['sandbox']}/_sandbox/requests", params={"method": "POST", "limit": 100000}).json()
    for caminho in ("valores-remuneracao", "/confirmar", "pedido-emissao"):
        assert len([p for p in pedidos if caminho in p["path"]]) == 2, caminho  # once per employer, across runs
    assert len(list((a["home"] / "mail").glob("*.eml"))) >= 2
    logs = "\n".join(p.read_text(errors="replace") for p in (a["home"] / "airflow" / "logs").rglob("*.log")
                     if "esperar_apuramento" in str(p))
    assert "deferring until" in logs and "apuramento of" in logs  # the wait went to the triggerer and came back
