"""``make airflow-celery``: the production deployment (docker-compose.yaml) on loopback, without Docker.

PostgreSQL (Airflow's metadata in database ``airflow``, the ledger in ``ciclo_ledger``) and Redis (the Celery broker)
from Debian's packages (scripts/services.sh installs them when missing), then the Airflow processes of the compose
file: api-server, scheduler, dag-processor, triggerer and TWO Celery workers, plus the PSI sandbox and an SMTP
catcher. Settings shared with the compose file come from ``deploy/ciclo.env`` (executor, queues, parallelism,
worker concurrency, heartbeat timeout); what depends on where the services run (free ports on 127.0.0.1, the keys
generated for this start) is set here.

Each worker is started as if on its own machine: its own ``AIRFLOW_HOME`` (task logs and log server), its own
``CICLO_HOME`` (reports) and ``TMPDIR``. What they share is what machines of a real deployment share: the
ledger (PostgreSQL), the broker (Redis), the metadata database through the api-server, and the payroll exports
(``HOME/payroll``, a folder on this machine; on several machines a network share mounted at the same path).

Prints the URL and the login; Ctrl-C or SIGTERM stops everything it started. ``kill -USR1 <pid of this script>``
starts again any worker that died (what ``restart: always`` does in compose). ``--check``: start, wait until
healthy, print, stop. ``HOME/workers.json`` lists the workers' pids and folders (the tests read it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SHARED_CONFIG = REPO / "deploy" / "ciclo.env"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from airflow_local import _password, preparar_cenario  # noqa: E402  (the scenario shared with `make airflow`)

WORKERS = ("worker1", "worker2")


def ler_config_partilhada(path: Path = SHARED_CONFIG) -> dict[str, str]:
    """``deploy/ciclo.env`` (the Compose env_file format: KEY=VALUE, comments, no quotes) as a dict."""
    env: dict[str, str] = {}
    for n, linha in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        linha = linha.strip()
        if not linha or linha.startswith("#"):
            continue
        chave, sep, valor = linha.partition("=")
        if not sep or not chave.strip().isidentifier():
            raise SystemExit(f"{path}:{n}: expected KEY=VALUE, got {linha!r}")
        env[chave.strip()] = valor.strip()
    return env


def _free_port() -> int:
    from ciclo_dev.processo import free_port

    return free_port()


class Implantacao:
    """The processes of one start; ``parar()`` stops every one of them (workers, control plane, services)."""

    def __init__(self, home: Path):
        self.home = home
        self.procs: dict[str, subprocess.Popen] = {}
        self.workers: dict[str, dict] = {}
        self.a_parar = False

    def iniciar(self, nome: str, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log, "ab")
        p = subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        fh.close()
        self.procs[nome] = p
        return p

    def iniciar_worker(self, nome: str, base_env: dict, queues: str) -> None:
        w = self.home / nome
        for sub in ("airflow", "home", "tmp"):
            (w / sub).mkdir(parents=True, exist_ok=True)
        log_port = self.workers.get(nome, {}).get("log_server_port") or _free_port()  # kept across restarts
        env = {**base_env, "AIRFLOW_HOME": str(w / "airflow"), "CICLO_HOME": str(w / "home"), "TMPDIR": str(w / "tmp"),
               "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(w / "airflow" / "logs"),
               "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port)}
        log = w / "worker.log"
        p = self.iniciar(nome, [_airflow(), "celery", "worker", "--queues", queues,
                                "--concurrency", env.get("AIRFLOW__CELERY__WORKER_CONCURRENCY", "2"),
                                "--celery-hostname", f"{nome}@%h"], env, log)
        self.workers[nome] = {"pid": p.pid, "home": str(w), "ciclo_home": env["CICLO_HOME"],
                              "logs": env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"], "log": str(log),
                              "log_server_port": log_port, "queues": queues, "started": time.time()}
        self._gravar_workers()

    def _gravar_workers(self) -> None:
        tmp = self.home / "workers.json.part"
        tmp.write_text(json.dumps(self.workers, indent=2))
        tmp.rename(self.home / "workers.json")

    def parar(self) -> None:
        self.a_parar = True
        # workers first (they finish or give back their tasks), then the control plane
        ordem = [n for n in self.procs if n in self.workers] + [n for n in self.procs if n not in self.workers]
        for nome in ordem:
            p = self.procs[nome]
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for nome in ordem:
            p = self.procs[nome]
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(10)


def _airflow() -> str:
    return str(Path(sys.executable).parent / "airflow")


def _esperar(cond, timeout: float, o_que: str, procs: Implantacao, intervalo: float = 2.0):
    fim = time.monotonic() + timeout
    while True:
        for nome, p in procs.procs.items():
            if p.poll() is not None:
                raise SystemExit(f"{nome} exited ({p.returncode}) while waiting for {o_que}; see {procs.home / 'logs'}")
        r = cond()
        if r:
            return r
        if time.monotonic() > fim:
            raise SystemExit(f"{o_que} not ready within {timeout:.0f} s; see the logs under {procs.home}")
        time.sleep(intervalo)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=int(os.environ.get("CICLO_AIRFLOW_PORT", "0")) or None,
                    help="api-server port (default: a free one)")
    ap.add_argument("--home", default=str(REPO / "var" / "airflow-celery"))
    ap.add_argument("--employers", type=int, default=2)
    ap.add_argument("--workers", type=int, default=150, help="workers (people) per employer in the generated payroll")
    ap.add_argument("--ano-mes", help="the month (YYYYMM) prepared (default: the month before today)")
    ap.add_argument("--no-schedule", action="store_true", help="manual runs only (no scheduled run is created)")
    ap.add_argument("--check", action="store_true", help="start, wait until healthy, print, stop")
    ap.add_argument("--timeout", type=float, default=300.0)
    a = ap.parse_args(argv)

    from ciclo.domain.periodo import AnoMes
    from ciclo.ledger import Ledger
    from ciclo_dev.processo import SandboxProcess
    from ciclo_dev.smtp_catcher import SmtpCatcher

    home = Path(a.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    port = a.port or _free_port()
    url = f"http://127.0.0.1:{port}"
    ano_mes = str(AnoMes.parse(a.ano_mes)) if a.ano_mes else str(AnoMes.de_data(date.today()).anterior())
    servicos = home / "services"
    # SIGTERM (and Ctrl-C) at any moment, start-up included, stops everything started so far (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    dep = Implantacao(home)
    sb = smtp = None
    try:
        subprocess.run(["bash", str(REPO / "scripts" / "services.sh"), "stop", str(servicos)], check=True)
        out = subprocess.run(["bash", str(REPO / "scripts" / "services.sh"), "start", str(servicos)], check=True,
                             stdout=subprocess.PIPE, text=True)
        portas = dict(l.split("=", 1) for l in out.stdout.split())
        pg, redis = portas["CICLO_PG_PORT"], portas["CICLO_REDIS_PORT"]
        (home / "sandbox.sqlite3").unlink(missing_ok=True)  # a fresh world per start, like the new databases
        sb = SandboxProcess(home / "sandbox.sqlite3").start()
        smtp = SmtpCatcher(home / "mail").start()
        # the ledger on PostgreSQL, migrated once here rather than by the first tasks of two workers at once
        ledger_url = f"postgresql+psycopg://postgres@127.0.0.1:{pg}/ciclo_ledger"
        Ledger(ledger_url).dispose()
        # a fresh scenario per start: the ledger and the sandbox were just created empty
        import shutil

        (home / "employers.yaml").unlink(missing_ok=True)
        shutil.rmtree(home / "payroll", ignore_errors=True)
        cen_env = preparar_cenario(home, sb.url, smtp.port, ano_mes, employers=a.employers, workers=a.workers,
                                   ledger_url=ledger_url)
        partilhada = ler_config_partilhada()
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__") and k != "AIRFLOW_HOME"}
        env = {**base, **partilhada, **cen_env,
               "AIRFLOW_HOME": str(home / "airflow"),
               "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg://postgres@127.0.0.1:{pg}/airflow",
               # psycopg 3 for the async engine too (Airflow would derive asyncpg, which is not installed)
               "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": f"postgresql+psycopg_async://postgres@127.0.0.1:{pg}/airflow",
               "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis}/0",
               "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg://postgres@127.0.0.1:{pg}/airflow",
               # same mechanism as the compose file: the ledger as the ciclo_ledger connection
               "AIRFLOW_CONN_CICLO_LEDGER": f"postgresql://postgres@127.0.0.1:{pg}/ciclo_ledger",
               "AIRFLOW__CORE__FERNET_KEY": _fernet(),
               "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
               "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
               "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"), "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
               "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
               "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__BASE_URL": url,
               "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
               "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
               "CICLO_RETRY_DELAY_SECONDS": os.environ.get("CICLO_RETRY_DELAY_SECONDS", "5"),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        if a.no_schedule:
            env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] = "False"
        (home / "airflow").mkdir(exist_ok=True)
        for velho in (home / "airflow").glob("simple_auth_manager_passwords.json*"):
            velho.unlink()
        logs = home / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / "db-migrate.log", "ab") as fh:
            r = subprocess.run([_airflow(), "db", "migrate"], env=env, stdout=fh, stderr=subprocess.STDOUT)
        if r.returncode:
            raise SystemExit(f"airflow db migrate failed; see {logs / 'db-migrate.log'}")
        # Every worker serves its task logs on its own port (two on one machine cannot share 8793); the api-server
        # asks one configured port, worker1's (on separate machines all use the same port; see OPERATIONS.md).
        for nome in WORKERS:
            dep.workers[nome] = {"log_server_port": _free_port()}
        ctl_env = {**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(dep.workers[WORKERS[0]]["log_server_port"])}
        for nome, args in (("api-server", ["api-server", "--port", str(port)]), ("scheduler", ["scheduler"]),
                           ("dag-processor", ["dag-processor"]), ("triggerer", ["triggerer"])):
            dep.iniciar(nome, [_airflow(), *args], ctl_env, logs / f"{nome}.log")
        queues = partilhada.get("CICLO_WORKER_QUEUES", "default")
        for nome in WORKERS:
            dep.iniciar_worker(nome, env, queues)

        def saude():
            try:
                r = httpx.get(f"{url}/api/v2/monitor/health", timeout=3)
                j = r.json()
            except (httpx.HTTPError, ValueError):
                return None
            ok = all((j.get(c) or {}).get("status") == "healthy" for c in ("metadatabase", "scheduler", "triggerer",
                                                                             "dag_processor"))
            return j if ok else None

        estado = _esperar(saude, a.timeout, "Airflow's health (scheduler, triggerer, dag-processor)", dep)
        _esperar(lambda: all(" ready." in Path(w["log"]).read_text(errors="replace") for w in dep.workers.values()),
                 a.timeout, "the Celery workers", dep)
        senha = _password(home / "airflow")

        def dag_pronta():
            try:
                tok = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": senha}, timeout=10)
                r = httpx.get(f"{url}/api/v2/dags/contribution_cycle", timeout=10,
                              headers={"Authorization": f"Bearer {tok.json()['access_token']}"})
            except (httpx.HTTPError, ValueError, KeyError):
                return False
            return r.status_code == 200

        _esperar(dag_pronta, a.timeout, "the contribution_cycle DAG (parsed by the dag-processor)", dep)
        print(f"Airflow UI: {url}  login: admin  password: {senha}")
        print(f"Executor: CeleryExecutor; workers: {', '.join(WORKERS)} listening on queues {queues} "
              f"(CICLO_QUEUE_PSI={partilhada.get('CICLO_QUEUE_PSI')}, CICLO_QUEUE_LOCAL={partilhada.get('CICLO_QUEUE_LOCAL')})")
        print(f"PostgreSQL: 127.0.0.1:{pg} (databases airflow, ciclo_ledger); Redis: 127.0.0.1:{redis}")
        print(f"PSI sandbox: {sb.url} (admin API {sb.url}/_sandbox/); SMTP catcher: 127.0.0.1:{smtp.port} → {home / 'mail'}")
        print(f"Payroll (shared by the workers): {home / 'payroll'}; workers: {home / 'workers.json'}")
        print(f"Employers: {home / 'employers.yaml'}; trigger 'contribution_cycle' with ano_mes={ano_mes}")
        print(f"Health: {url}/api/v2/monitor/health → {estado}", flush=True)
        if a.check:
            return 0

        reiniciar = []
        signal.signal(signal.SIGUSR1, lambda *_: reiniciar.append(True))
        avisados: set[str] = set()
        try:
            while True:
                for nome, p in list(dep.procs.items()):
                    if p.poll() is not None and nome not in avisados:
                        avisados.add(nome)
                        print(f"{nome} exited ({p.returncode})"
                              + (f"; kill -USR1 {os.getpid()} starts it again" if nome in dep.workers else ""), flush=True)
                if reiniciar:
                    reiniciar.clear()
                    for nome in WORKERS:
                        if dep.procs[nome].poll() is not None:
                            dep.iniciar_worker(nome, env, queues)
                            avisados.discard(nome)
                            print(f"{nome} started again (pid {dep.procs[nome].pid})", flush=True)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        return 0
    except KeyboardInterrupt:
        print("interrupted during start-up: stopping", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        dep.parar()
        if smtp:
            smtp.stop()
        if sb:
            sb.stop()
        subprocess.run(["bash", str(REPO / "scripts" / "services.sh"), "stop", str(servicos)], check=False)


def _fernet() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


if __name__ == "__main__":
    raise SystemExit(main())
