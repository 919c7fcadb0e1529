"""``make airflow``: the Airflow UI locally on embedded defaults.

Starts the PSI sandbox and an SMTP catcher, prepares payroll and employers for the previous month (the same
scenario as the demo), preloads the PSI and SMTP connections (as ``AIRFLOW_CONN_*`` variables of the Airflow
processes), then runs ``airflow standalone`` (SQLite, api-server, scheduler, dag-processor, triggerer) with a
parallelism suited to 2 cores, and prints the URL and the login. Ctrl-C stops everything it started.
``--check`` starts it all, waits for the health endpoint, prints, and stops (used by the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("CICLO_AIRFLOW_PORT", "8080")))
    ap.add_argument("--home", default=str(REPO / "var" / "airflow-local"))
    ap.add_argument("--check", action="store_true", help="start, wait until healthy, print, stop")
    ap.add_argument("--timeout", type=float, default=240.0)
    a = ap.parse_args(argv)

    from ciclo_dev.processo import SandboxProcess
    from ciclo_dev.smtp_catcher import SmtpCatcher
    from ciclo.domain.periodo import AnoMes

    home = Path(a.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    ano_mes = str(AnoMes.de_data(date.today()).anterior())
    sb = SandboxProcess(home / "sandbox.sqlite3").start()
    smtp = SmtpCatcher(home / "mail").start()
    proc = None
    try:
        cen_env = preparar_cenario(home, sb.url, smtp.port, ano_mes)
        env = {**os.environ, **cen_env,
               "AIRFLOW_HOME": str(home / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
               "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"), "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
               "AIRFLOW__CORE__PARALLELISM": "4", "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
               "AIRFLOW__API__PORT": str(a.port), "AIRFLOW__API__HOST": "127.0.0.1",
               "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{a.port}",
               "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{a.port}/execution/",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
               "CICLO_RETRY_DELAY_SECONDS": "10",
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        (home / "airflow").mkdir(exist_ok=True)
        # Airflow's metadata DB is SQLite here (the try-out; production is PostgreSQL: docker-compose.yaml, make
        # airflow-celery). WAL lets the api-server read while the scheduler writes, and a 30 s busy timeout outlasts
        # a slow writer on a loaded 2-core machine: with pysqlite's 5 s a trigger through the REST API once got a
        # 500 (its audit-log INSERT waited 5 s for the lock) while the scheduled run was starting.
        db = home / "airflow" / "airflow.db"
        with sqlite3.connect(db) as c:
            c.execute("PRAGMA journal_mode=WAL")   # kept in the file: every process that opens it uses WAL
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{db}?timeout=30"
        log = open(home / "standalone.log", "ab")
        proc = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), "standalone"], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{a.port}"
        fim = time.monotonic() + a.timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"airflow standalone exited ({proc.returncode}); see {home / 'standalone.log'}")
            try:
                r = httpx.get(f"{url}/api/v2/monitor/health", timeout=2)
                if r.status_code == 200 and r.json().get("scheduler", {}).get("status") == "healthy":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > fim:
                raise SystemExit(f"Airflow did not become healthy within {a.timeout:.0f} s; see {home / 'standalone.log'}")
            time.sleep(2)
        senha = _password(home / "airflow")
        print(f"Airflow UI: {url}  login: admin  password: {senha}")
        print(f"PSI sandbox: {sb.url} (admin API {sb.url}/_sandbox/); SMTP catcher: 127.0.0.1:{smtp.port} → {home / 'mail'}")
        print(f"Employers: {home / 'employers.yaml'}; trigger 'contribution_cycle' with ano_mes={ano_mes}")
        print(f"Health: {url}/api/v2/monitor/health → {r.json()}", flush=True)
        if a.check:
            return 0
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            proc.wait()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        smtp.stop()
        sb.stop()


def preparar_cenario(home: Path, sandbox_url: str, smtp_port: int, ano_mes: str, *, employers: int = 2,
                     workers: int = 150, ledger_url: str | None = None) -> dict:
    """The local scenario shared by ``make airflow`` and ``make airflow-celery``: payroll for ``ano_mes`` under
    ``home/payroll`` and the sandbox seeded (first time only; one employer with planted differences, so the operator
    is asked), then the environment every Airflow process needs: one PSI connection per employer, the SMTP
    connection, the employers file, CICLO_HOME and the ledger (``ledger_url``, SQLite in ``home`` by default).
    Called again with a later month (same employers, same seed), it prepares that month for a later run; prepare a
    month only after the earlier months ran (the SS then knows their contracts, as in life)."""
    import yaml

    from ciclo_dev.cenario import preparar

    if not list((home / "payroll").glob(f"*/{ano_mes}")):
        preparar(home, sandbox_url, ano_mes=ano_mes, employers=employers, workers=workers, seed=2027,
                 smtp_port=smtp_port, planted_differences=True)
    emps = yaml.safe_load((home / "employers.yaml").read_text())["employers"]
    env = {f"AIRFLOW_CONN_{e['conn_id'].upper()}": json.dumps({"conn_type": "psi", "host": sandbox_url, "login": e["niss_ee"],
                                                               "password": "sandbox"}) for e in emps}
    env.update({"CICLO_EMPLOYERS": str(home / "employers.yaml"), "CICLO_HOME": str(home / "home"),
                "CICLO_LEDGER_URL": ledger_url or f"sqlite:///{home / 'ledger.sqlite3'}",
                "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                                                         "extra": {"disable_ssl": True, "disable_tls": True,
                                                                   "from_email": "ciclo-contributivo@localhost"}})})
    return env


def _password(airflow_home: Path) -> str:
    for nome in ("simple_auth_manager_passwords.json.generated", "simple_auth_manager_passwords.json"):
        p = airflow_home / nome
        if p.exists():
            try:
                return json.loads(p.read_text()).get("admin", "?")
            except ValueError:
                pass
    return "(see simple_auth_manager_passwords.json.generated in AIRFLOW_HOME)"


if __name__ == "__main__":
    raise SystemExit(main())
