"""The portfolio page inside the Airflow UI, end to end: ``make airflow`` (airflow standalone on free ports), the
month's run triggered through the REST API and followed until the operator's approval is awaited, then the page
fetched through the api-server with a logged-in session (the UI's ``_token`` cookie) and checked for every
employer, and one screenshot taken with headless Chromium (kept under ``var/test-artifacts/``)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

from ciclo_dev.processo import free_port

REPO = Path(__file__).resolve().parents[2]
ARTEFACTOS = REPO / "var" / "test-artifacts"
pytestmark = pytest.mark.slow


def test_portfolio_page_in_the_airflow_ui(airflow_local, tmp_path):
    a = airflow_local
    h = {"Authorization": f"Bearer {a['token']}"}
    api = lambda m, p, **kw: httpx.request(m, f"{a['url']}/api/v2{p}", headers=h, timeout=30, **kw)  # noqa: E731
    from ciclo.ledger import Ledger

    # the ledger's schema is created here, once, before the mapped tasks of the run open it side by side
    Ledger(f"sqlite:///{a['home'] / 'ledger.sqlite3'}").dispose()
    r = api("POST", "/dags/contribution_cycle/dagRuns", json={"logical_date": None, "conf": {"ano_mes": a["ano_mes"]}})
    assert r.status_code == 200, r.text
    run_id = r.json()["dag_run_id"]
    emps = yaml.safe_load((a["home"] / "employers.yaml").read_text())["employers"]
    lg = Ledger(f"sqlite:///{a['home'] / 'ledger.sqlite3'}")
    fim = time.monotonic() + 420
    # until the operator is asked (one employer has differences) and every employer's apuramento is fetched — each
    # employer goes at its own pace — or the run ends
    while time.monotonic() < fim:
        tis = api("GET", "/dags/contribution_cycle/dagRuns/~/taskInstances", params={"state": "awaiting_input"}).json()
        confirmacoes = []
        for ti in tis.get("task_instances", []):
            if ti["task_id"].endswith("revisao_operador"):
                # the review before sending (the planted differences): apply nothing, so they reach the confirmation
                rr = api("PATCH", f"/dags/contribution_cycle/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
                         f"{ti['map_index']}/hitlDetails", json={"chosen_options": ["Não aplicar"], "params_input": {}})
                assert rr.status_code == 200, rr.text
            else:
                confirmacoes.append(ti)
        estado = api("GET", f"/dags/contribution_cycle/dagRuns/{run_id}").json()["state"]
        apurados = all(lg.apuramentos.obter(e["niss_ee"], a["ano_mes"]) for e in emps)
        if (confirmacoes and apurados) or estado in ("success", "failed"):
            break
        time.sleep(3)
    lg.dispose()
    if time.monotonic() >= fim:
        pytest.fail("the run neither reached the approval with every employer apurado nor finished\n"
                    + _diagnostico(api, a["home"]))
    # a run that ended before the approval (failed, or success without the planted differences) is a failure of its
    # own, reported with the tasks that did not succeed and their logs' tails — not a missing word further down
    assert estado not in ("success", "failed"), f"the run ended {estado} before the approval\n" + _diagnostico(api, a["home"])

    # registered as an external view in the UI's navigation, served by the plugin's FastAPI app
    plugins = api("GET", "/plugins").json()["plugins"]
    vistas = [v for p in plugins for v in p.get("external_views", [])]
    assert {"name": "Carteira", "href": "ciclo/carteira/", "url_route": "carteira"}.items() <= next(
        v for v in vistas if v["name"] == "Carteira").items()

    pagina = f"{a['url']}/ciclo/carteira/?ano_mes={a['ano_mes']}"
    assert httpx.get(pagina, timeout=30).status_code == 401  # Airflow's auth, not an open page
    assert httpx.get(pagina, cookies={"_token": "invalid-token"}, timeout=30).status_code in (401, 403)
    with httpx.Client(cookies={"_token": a["token"]}, timeout=60) as sessao:  # the UI's logged-in session cookie
        r = sessao.get(pagina)
        assert r.status_code == 200, r.text[:2000]
        html = r.text
        ARTEFACTOS.mkdir(parents=True, exist_ok=True)
        (ARTEFACTOS / "carteira.html").write_text(html, encoding="utf-8")
        emps = yaml.safe_load((a["home"] / "employers.yaml").read_text())["employers"]
        linhas = {m.group(1): m.group(2) for m in re.finditer(r'<tr data-niss-ee="(\d{11})">(.*?)</tr>', html, re.S)}
        assert set(linhas) == {e["niss_ee"] for e in emps}
        for e in emps:
            linha = linhas[e["niss_ee"]]
            assert e["nome"] in linha
            assert "entregue" in linha, f"{e['nome']}: not acknowledged\n{linha}\n" + _diagnostico(api, a["home"])
            assert re.search(r"\d[\d ]*,\d{2} €", linha)  # the apurado obligation, in euros
            # links to its task instances (in whichever run of the month did the work: the scheduled one may be first)
            assert re.search(r'href="\.\./\.\./dags/contribution_cycle/runs/[^/"]+/tasks/ciclo_ee\.\w+/mapped/\d"', linha)
        assert sum("exigem decisão" in l for l in linhas.values()) >= 1  # the planted differences
        assert "Sessão: admin" in html
        # a report link is served from the month's folder, and nothing outside it is
        pasta = a["home"] / "home" / "reports" / emps[0]["niss_ee"] / a["ano_mes"]
        pasta.mkdir(parents=True, exist_ok=True)
        (pasta / "relatorio.html").write_text("<p>ok</p>", encoding="utf-8")
        r = sessao.get(f"{a['url']}/ciclo/carteira/relatorio/{emps[0]['niss_ee']}/{a['ano_mes']}/relatorio.html")
        assert r.status_code == 200 and r.text == "<p>ok</p>"
        assert sessao.get(f"{a['url']}/ciclo/carteira/relatorio/{emps[0]['niss_ee']}/{a['ano_mes']}/..%2F..%2Fx.json").status_code == 404

    png = _screenshot(pagina, a["token"], tmp_path)
    ARTEFACTOS.mkdir(parents=True, exist_ok=True)
    destino = ARTEFACTOS / "carteira.png"
    destino.write_bytes(png)
    assert png.startswith(b"\x89PNG") and len(png) > 20000, destino


def _diagnostico(api, home: Path) -> str:
    """Every run of the DAG with its state, the task instances that are neither success nor waiting, and the tail
    of their logs: what a failed end-to-end run needs to be understood from the CI's output alone."""
    linhas = []
    for run in api("GET", "/dags/contribution_cycle/dagRuns").json().get("dag_runs", []):
        linhas.append(f"run {run['dag_run_id']}: {run['state']}")
        tis = api("GET", f"/dags/contribution_cycle/dagRuns/{run['dag_run_id']}/taskInstances",
                  params={"limit": 500}).json().get("task_instances", [])
        for ti in tis:
            if ti["state"] in ("success", "awaiting_input", "skipped", None):
                continue
            linhas.append(f"  {ti['task_id']}[{ti['map_index']}] {ti['state']} (try {ti['try_number']})")
            pasta = (home / "airflow" / "logs" / "dag_id=contribution_cycle" / f"run_id={run['dag_run_id']}"
                     / f"task_id={ti['task_id']}")
            for f in sorted(pasta.rglob("attempt=*.log"))[-1:]:
                linhas += ["    " + l for l in f.read_text(errors="replace").splitlines()[-25:]]
    # what Airflow's own processes (api-server, scheduler) said about task states: who failed a task and why
    standalone = home / "standalone.log"
    if standalone.exists():
        marcas = re.compile(r"error|exception|traceback|locked|set(ting)? the task to failed|invalid state|"
                            r"timed? ?out|heartbeat", re.I)
        ditas = [l for l in standalone.read_text(errors="replace").splitlines() if marcas.search(l)]
        linhas += ["standalone.log (errors and state changes, last 40):"] + ["  " + l[:600] for l in ditas[-40:]]
    return "\n".join(linhas)


def _screenshot(url: str, token: str, tmp_path: Path) -> bytes:
    """Headless Chromium driven over the DevTools protocol: set the session cookie, open the page, capture it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium not installed: apt-get install -y chromium (scripts/run-tests.sh installs it)")
    from websockets.sync.client import connect

    porta = free_port()
    perfil = tempfile.mkdtemp(dir=tmp_path)
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             f"--user-data-dir={perfil}", f"--remote-debugging-port={porta}", "--window-size=1400,700",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        fim = time.monotonic() + 60
        while True:
            try:
                alvo = next(t for t in httpx.get(f"http://127.0.0.1:{porta}/json", timeout=2).json() if t["type"] == "page")
                break
            except (httpx.HTTPError, StopIteration, ValueError):
                assert time.monotonic() < fim, "chromium did not open its DevTools port"
                time.sleep(0.5)
        with connect(alvo["webSocketDebuggerUrl"], max_size=50_000_000, open_timeout=30) as ws:
            seq = iter(range(1, 10_000))

            def cdp(metodo, **params):
                n = next(seq)
                ws.send(json.dumps({"id": n, "method": metodo, "params": params}))
                while True:
                    msg = json.loads(ws.recv(timeout=60))
                    if msg.get("id") == n:
                        assert "error" not in msg, msg
                        return msg["result"]

            cdp("Page.enable")
            cdp("Network.enable")
            cdp("Network.setCookie", name="_token", value=token, url=url)
            cdp("Page.navigate", url=url)
            fim = time.monotonic() + 30
            while cdp("Runtime.evaluate", expression="document.readyState")["result"]["value"] != "complete":
                assert time.monotonic() < fim
                time.sleep(0.3)
            titulo = cdp("Runtime.evaluate", expression="document.title")["result"]["value"]
            assert titulo.startswith("Carteira"), titulo
            return base64.b64decode(cdp("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
