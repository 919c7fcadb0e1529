"""The whole contribution cycle through the real DAG, against the PSI sandbox: how far from the fetch limit.

Generates a portfolio (``--employers E`` × ``--workers N`` with the synthetic payroll generator), seeds the sandbox
(a subprocess on a free loopback port, temp state) with what the Segurança Social already knows, starts an SMTP
catcher, injects ``--latency-ms L`` on the per-worker valores-apurados route (sandbox fault, ``asyncio.sleep`` on the
server: the route the fetch limit is about), and runs the DAG found in ``dags/`` for one month:

* default: ``dag.test()`` in a child process (a fresh Airflow home on SQLite); ``peak_rss_mb`` is that process,
  and its peak while each step ran (sampled every 50 ms) goes to stderr, largest first;
* ``--scheduler``: ``airflow standalone`` (LocalExecutor, scheduler, triggerer, api-server on SQLite; cron
  scheduling off), the run triggered through the CLI; ``peak_rss_mb`` is the largest single process of the
  standalone tree but the api-server (sampled every 0.2 s). Each process's peak and title go to stderr and to
  ``airflow/rss_por_processo.json`` (a task's worker is titled with its task instance id: look it up in the
  metadata DB's ``task_instance.id`` to know which step peaked).

An operator (``ciclo_dev.operador``) answers any question the run waits for: "Approve" to a confirmation, "Não
aplicar" to a review before sending (none in a clean portfolio). Nothing here names a
task id: task instances are counted in Airflow's metadata DB for the run, so the bench works whatever shape the DAG
has. Timestamps come from the world, not from the DAG: the sandbox's state (when it answered each apuramento,
once computed: ``disponivel_em``), its request log (every per-worker GET, start = logged time − duration) and the
SMTP catcher's ``.eml`` files (when finance got each email).

Prints, last, one JSON line: ``seconds_total`` (the DAG run), ``seconds_from_apuramento`` (the first employer's
apuramento available — answered APURADO by the sandbox, after computing it — → the last finance email received;
``apuramento_compute_s`` is the sandbox's computing before that, from the due time), ``fetch_seconds`` (time during
which at least one employer's per-worker fetch was in flight: the union of each employer's first-GET→last-answer
span),
``fetch_limit_seconds`` (E×N×L÷C, C the per-employer concurrency of the employers' PSI connection),
``fetch_efficiency`` (limit ÷ fetch_seconds), ``task_instances``, ``peak_rss_mb``, ``cpu_seconds_pipeline`` and
``cpu_seconds_sandbox`` (CPU used during the run by the pipeline's processes — ``dag.test()``'s and the fetch's
share processes; none in ``--scheduler`` mode — and by the sandbox: steadier than wall time when the machine is
shared), ``loadavg_1m`` (when the run ended; this is a shared 2-core machine), ``machine_ref_s`` (a fixed
one-core Python loop timed just before and just after the run: the machine's speed varies by half within a day,
and a figure means little without it), and the outcome (run state, employers concluded).

    .venv/bin/python bench/cycle.py --employers 1 --workers 10000 --latency-ms 20
    .venv/bin/python bench/cycle.py --employers 200 --workers 20 --latency-ms 20 [--scheduler]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
DAG_ID = "contribution_cycle"
ANO_MES = "202610"
ROTA_TRABALHADOR = "/trabalhador/"
LISBOA = ZoneInfo("Europe/Lisbon")


# ---------------------------------------------------------------- the operator (no task id named)
def _aprovar_pendentes(dag_id: str) -> int:
    """Answer every question of ``dag_id`` waiting for input, whatever its task, as a hands-off operator does
    (``ciclo_dev.operador``: confirm despite differences, apply nothing proposed before sending)."""
    from sqlalchemy import select

    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from ciclo_dev.operador import opcao_padrao, responder

    with create_session() as s:
        parados = s.execute(select(TI.run_id, TI.task_id, TI.map_index).where(
            TI.dag_id == dag_id, TI.state == TaskInstanceState.AWAITING_INPUT)).all()
    for run_id, task_id, map_index in parados:
        responder(run_id, map_index, opcao_padrao(task_id), "bench", dag_id=dag_id, task_id=task_id)
    return len(parados)


def _operador(dag_id: str, parar: threading.Event, intervalo: float = 0.5) -> threading.Thread:
    def ciclo():
        while not parar.is_set():
            try:
                _aprovar_pendentes(dag_id)
            except Exception as exc:  # noqa: BLE001 - the schema may not be there yet; say so and keep polling
                print(f"[bench] operator: {type(exc).__name__}: {exc}", file=sys.stderr)
            parar.wait(intervalo)

    th = threading.Thread(target=ciclo, name="operador", daemon=True)
    th.start()
    return th


def _rss_por_passo(parar: threading.Event, intervalo: float = 0.05) -> dict[str, float]:
    """The process's RSS sampled every ``intervalo`` s, its peak kept per step: the step is the task dag.test() last
    logged as starting ("[DAG TEST] starting task_id=…"). Where a single-process run's memory peaks."""
    import logging

    passos: dict[str, float] = {}
    atual = ["(before the first task)"]

    class _Passo(logging.Handler):
        def emit(self, record):
            m = re.search(r"starting task_id=(\S+)", record.getMessage())
            if m:
                atual[0] = m.group(1)

    logging.getLogger("airflow.sdk.definitions.dag").addHandler(_Passo())
    pagina = os.sysconf("SC_PAGE_SIZE") / 2 ** 20

    def amostrar():
        with open("/proc/self/statm") as fh:
            while not parar.is_set():
                fh.seek(0)
                mb = int(fh.read().split()[1]) * pagina
                if mb > passos.get(atual[0], 0.0):
                    passos[atual[0]] = mb
                parar.wait(intervalo)

    threading.Thread(target=amostrar, name="rss", daemon=True).start()
    return passos


def _contar_tis(dag_id: str, run_id: str) -> int:
    from sqlalchemy import func, select

    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.session import create_session

    with create_session() as s:
        return s.execute(select(func.count()).select_from(TI).where(TI.dag_id == dag_id, TI.run_id == run_id)).scalar()


# ---------------------------------------------------------------- child: dag.test() in its own process
def _cpu() -> float:
    """CPU seconds (user + system) of this process and of the children it has waited for (the fetch's share
    processes)."""
    eu, filhos = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return eu.ru_utime + eu.ru_stime + filhos.ru_utime + filhos.ru_stime


def _cpu_de(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux ``/proc``)."""
    campos = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(campos[11]) + int(campos[12])) / os.sysconf("SC_CLK_TCK")


def correr_dag_test(saida: Path) -> None:
    """Runs in a child process with the Airflow env set: parse dags/, dag.test(), write what happened to ``saida``."""
    from airflow.dag_processing.dagbag import DagBag

    pasta = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    dag = DagBag(dag_folder=pasta).get_dag(DAG_ID)
    if dag is None:
        raise SystemExit(f"no DAG {DAG_ID!r} in {pasta}")
    parar = threading.Event()
    operador = _operador(DAG_ID, parar)
    passos = _rss_por_passo(parar)
    t0, cpu0 = time.time(), _cpu()
    dr = dag.test(run_conf={"ano_mes": ANO_MES})
    t1, cpu1 = time.time(), _cpu()
    parar.set()
    operador.join(10)
    maiores = {k: round(v, 1) for k, v in sorted(passos.items(), key=lambda kv: -kv[1])}
    saida.write_text(json.dumps({
        "inicio": t0, "fim": t1, "estado": str(dr.state).rsplit(".", 1)[-1], "run_id": dr.run_id,
        "task_instances": _contar_tis(DAG_ID, dr.run_id),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_s": round(cpu1 - cpu0, 2),
        "rss_por_passo": maiores,
    }))


# ---------------------------------------------------------------- --scheduler: airflow standalone
def correr_standalone(env: dict, home: Path, timeout: float) -> dict:
    import httpx
    import psutil

    from ciclo_dev.processo import free_port

    porta = free_port()
    env = {**env, "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM", "4"),
           "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
           "AIRFLOW__API__PORT": str(porta), "AIRFLOW__API__HOST": "127.0.0.1",
           "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{porta}",
           "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{porta}/execution/",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
           "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
           # only the bench's run: unpausing must not start the DAG's scheduled run (same month, max_active_runs=1)
           "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"}
    airflow = str(Path(sys.executable).parent / "airflow")
    log = open(home / "standalone.log", "ab")
    proc = subprocess.Popen([airflow, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    pico = {"mb": 0.0}
    por_processo: dict[int, list] = {}  # pid → [peak MB, process title, first seen (s since start)]: which one peaked
    parar = threading.Event()
    t_amostra = time.monotonic()

    def amostrar():
        # LocalExecutor forks each task from the executor's worker (same command line), so task processes cannot
        # be told apart by name: the largest single process of the standalone tree (scheduler, triggerer,
        # executor workers and their task processes; the api-server excluded), sampled every 0.2 s
        while not parar.is_set():
            try:
                for c in psutil.Process(proc.pid).children(recursive=True):
                    try:
                        if "api" in " ".join(c.cmdline()[:3]):
                            continue
                        mb = c.memory_info().rss / 2 ** 20
                        pico["mb"] = max(pico["mb"], mb)
                        reg = por_processo.setdefault(c.pid, [0.0, " ".join(c.cmdline())[:120],
                                                              round(time.monotonic() - t_amostra, 1)])
                        reg[0] = max(reg[0], mb)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
            except psutil.NoSuchProcess:
                return
            parar.wait(0.2)

    try:
        fim_espera = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{porta}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > fim_espera:
                raise SystemExit("airflow standalone did not start: see " + str(home / "standalone.log"))
            time.sleep(1)
        # the DAG must be parsed before it can be triggered
        fim_espera = time.monotonic() + 240
        while subprocess.run([airflow, "dags", "list", "-o", "plain"], env=env, capture_output=True,
                             text=True).stdout.find(DAG_ID) < 0:
            if time.monotonic() > fim_espera:
                raise SystemExit(f"DAG {DAG_ID} not parsed by airflow standalone within 240 s")
            time.sleep(2)
        subprocess.run([airflow, "dags", "unpause", DAG_ID], env=env, check=True, capture_output=True)
        threading.Thread(target=amostrar, daemon=True).start()
        operador_parar = threading.Event()
        _operador(DAG_ID, operador_parar)
        run_id = f"bench__{int(time.time())}"
        t0 = time.time()
        subprocess.run([airflow, "dags", "trigger", DAG_ID, "--run-id", run_id, "--conf",
                        json.dumps({"ano_mes": ANO_MES})], env=env, check=True, capture_output=True)
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session

        fim_espera = time.monotonic() + timeout
        while True:
            with create_session() as s:
                dr = s.query(DagRun).filter(DagRun.dag_id == DAG_ID, DagRun.run_id == run_id).one_or_none()
                estado = str(dr.state).rsplit(".", 1)[-1] if dr else "none"
                inicio = dr.start_date.timestamp() if dr and dr.start_date else t0
                fim = dr.end_date.timestamp() if dr and dr.end_date else None
            if estado in ("success", "failed"):
                break
            if time.monotonic() > fim_espera:
                raise SystemExit(f"run {run_id} still {estado} after {timeout} s")
            time.sleep(1)
        operador_parar.set()
        maiores = sorted(por_processo.values(), key=lambda r: -r[0])[:8]
        (home / "rss_por_processo.json").write_text(json.dumps(maiores, indent=1))
        print("largest processes (peak MB, title, first seen s):", *maiores, sep="\n  ", file=sys.stderr)
        return {"inicio": inicio, "fim": fim or time.time(), "estado": estado, "run_id": run_id,
                "task_instances": _contar_tis(DAG_ID, run_id), "peak_rss_mb": round(pico["mb"], 1)}
    finally:
        parar.set()
        try:
            os.killpg(proc.pid, 15)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, 9)
        log.close()


# ---------------------------------------------------------------- measures from the world
def _ts_lisboa(s: str) -> float:
    return datetime.fromisoformat(s).replace(tzinfo=LISBOA).timestamp()


def medir_sandbox(estado_sqlite: Path, ano_mes: str, apuramento_delay: float) -> dict:
    """When each employer's apuramento became available, and its per-worker fetch span, from the sandbox's state
    file. The sandbox starts computing an apuramento ``apuramento_delay`` s after the last submission (its
    ``due_at``) and answers it once computed, at ``disponivel_em`` (epoch, ms): for 10,000 workers a second or
    more later, on its single thread. ``disponivel`` is that moment — when the Segurança Social answers APURADO —
    and ``devido`` the earlier one (the submission's logged time, end of the request, + the delay)."""
    db = sqlite3.connect(f"file:{estado_sqlite}?mode=ro", uri=True)
    try:
        devido: dict[str, float] = {}
        for path, ts in db.execute("SELECT path, ts FROM pedidos_log WHERE method='POST' AND status < 300 "
                                   "AND instr(path, '/valores-remuneracao/entidade-empregadora/') > 0"):
            ee = path.rstrip("/").rsplit("/", 1)[1]
            devido[ee] = max(devido.get(ee, 0.0), _ts_lisboa(ts) + apuramento_delay)
        # only the employers this run submitted for (a sandbox state reused across runs may hold others)
        disponivel = {ee: t for ee, t in db.execute(
            "SELECT niss_ee, disponivel_em FROM apuramentos WHERE ano_mes=? AND disponivel_em IS NOT NULL", (ano_mes,))
            if ee in devido}
        spans: dict[str, list[float]] = {}
        pedidos, ocupado = 0, 0.0
        padrao = re.compile(r"/entidade-empregadora/(\d{11})/ano-mes/" + ano_mes + "/trabalhador/")
        for path, ts, dur in db.execute("SELECT path, ts, duration_ms FROM pedidos_log WHERE method='GET' "
                                        "AND instr(path, ?) > 0", (ROTA_TRABALHADOR,)):
            m = padrao.search(path)
            if not m:
                continue
            pedidos += 1
            ocupado += dur / 1000
            fim = _ts_lisboa(ts)
            ini = fim - dur / 1000
            s = spans.setdefault(m.group(1), [ini, fim])
            s[0], s[1] = min(s[0], ini), max(s[1], fim)
    finally:
        db.close()
    return {"disponivel": disponivel, "devido": devido, "spans": spans, "pedidos": pedidos, "ocupado": ocupado}


def uniao(intervalos: list[list[float]]) -> float:
    total, fim = 0.0, None
    for a, b in sorted(intervalos):
        if fim is None or a > fim:
            total += b - a
            fim = b
        elif b > fim:
            total += b - fim
            fim = b
    return total


def referencia_maquina() -> float:
    """Wall seconds of a fixed one-core Python workload (10 million additions), in a fresh interpreter: how fast this
    (shared, virtual) machine runs Python right now. The same code's figures scale with it from hour to hour
    (1.2–2.1 s seen on 2026-12-07), so a run is only compared with another taken at a similar reference."""
    codigo = "import time\nt=time.perf_counter()\ns=0\nfor i in range(10_000_000): s+=i\nprint(time.perf_counter()-t)"
    return round(float(subprocess.run([sys.executable, "-c", codigo], capture_output=True, text=True,
                                      check=True).stdout), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employers", type=int, default=1)
    ap.add_argument("--workers", type=int, default=10000, help="workers per employer")
    ap.add_argument("--latency-ms", type=float, default=20.0, help="injected on the per-worker valores apurados GET")
    ap.add_argument("--scheduler", action="store_true", help="airflow standalone instead of dag.test()")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--apuramento-delay", type=float, default=3.0, help="sandbox: submission → apuramento (s)")
    ap.add_argument("--emissao-delay", type=float, default=1.0, help="sandbox: emission request → documents (s)")
    ap.add_argument("--emissao-poll", type=float, default=None,
                    help="CICLO_EMISSAO_POLL for the run (default: the pipeline's own default)")
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (ledger, logs, mail)")
    ap.add_argument("--repo", type=Path, default=REPO,
                    help="run the pipeline (dags/, plugins/, include/) of another checkout, e.g. an exported older "
                         "commit for a before/after (the bench, sandbox and generator stay this checkout's)")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:
        correr_dag_test(Path(a._child))
        return

    from ciclo_dev.cenario import preparar
    from ciclo_dev.processo import SandboxProcess
    from ciclo_dev.smtp_catcher import SmtpCatcher

    tmp = Path(tempfile.mkdtemp(prefix="bench-cycle-"))
    home = tmp / "airflow"
    home.mkdir()
    repo = a.repo.resolve()
    env_airflow = {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                   "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
                   "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo / "plugins"),
                   "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
    os.environ.update(env_airflow)  # before anything imports Airflow (the operator thread in --scheduler mode)
    sys.path.insert(0, str(repo / "plugins"))

    ref_antes = referencia_maquina()
    sb = SandboxProcess(tmp / "sandbox.sqlite3").start()
    smtp = SmtpCatcher(tmp / "mail").start()
    try:
        t = time.perf_counter()
        cen = preparar(tmp / "cen", sb.url, ano_mes=ANO_MES, employers=a.employers, workers=a.workers, seed=a.seed,
                       smtp_port=smtp.port)
        prep_s = time.perf_counter() - t
        sb.admin("PUT", "config", json={"apuramento_delay_seconds": a.apuramento_delay,
                                        "emissao_delay_seconds": a.emissao_delay})
        sb.admin("PUT", "faults", json=[{"method": "GET", "path": ROTA_TRABALHADOR, "mode": "latency",
                                         "latency_ms": a.latency_ms, "jitter_ms": 0}])
        # the pipeline's own package first (ahead of this checkout's editable install when --repo is another one)
        env = {**os.environ, **cen.env, **env_airflow, "PYTHONPATH": os.pathsep.join(
            [str(repo / "include"), str(repo / "plugins"), os.environ.get("PYTHONPATH", "")])}
        env.pop("CICLO_EMISSAO_POLL", None)  # the scenario's test pacing; the bench runs the pipeline's default
        if a.emissao_poll is not None:
            env["CICLO_EMISSAO_POLL"] = str(a.emissao_poll)
        os.environ.update({k: v for k, v in env.items() if k.startswith(("AIRFLOW_CONN_", "CICLO_"))})
        from psi_hook import PsiHook

        concorrencia = PsiHook(cen.employers[0]["conn_id"]).concurrency
        subprocess.run([sys.executable, "-c", "from airflow.utils import db; db.resetdb()"], env=env, check=True,
                       capture_output=True)
        cpu_sandbox0 = _cpu_de(sb.proc.pid)
        if a.scheduler:
            r = correr_standalone(env, tmp, a.timeout)
        else:
            saida = tmp / "run.json"
            subprocess.run([sys.executable, __file__, "--_child", str(saida)], env=env, check=True,
                           timeout=a.timeout, stdout=open(tmp / "dag-test.log", "wb"), stderr=subprocess.STDOUT)
            r = json.loads(saida.read_text())
            print("peak RSS by step (MB, dag.test()'s process, largest first): "
                  + ", ".join(f"{k} {v:.0f}" for k, v in r.get("rss_por_passo", {}).items()), file=sys.stderr)
        carga = os.getloadavg()[0]
        cpu_sandbox = _cpu_de(sb.proc.pid) - cpu_sandbox0
        sb.admin("GET", "requests", params={"limit": 1})  # flushes the sandbox's buffered request log
        mundo = medir_sandbox(sb.state, ANO_MES, a.apuramento_delay)
        emails = [p.stat().st_mtime for p in smtp.files()]
        resumo_p = cen.pasta / "home" / f"summary-{ANO_MES}.json"
        resumo = json.loads(resumo_p.read_text()) if resumo_p.exists() else {"employers": []}
    finally:
        smtp.stop()
        sb.stop()

    ref_depois = referencia_maquina()
    n_total = a.employers * a.workers
    limite = n_total * a.latency_ms / 1000 / concorrencia
    fetch = uniao(list(mundo["spans"].values()))
    primeiro = min(mundo["disponivel"], key=mundo["disponivel"].get) if mundo["disponivel"] else None
    apurado = mundo["disponivel"][primeiro] if primeiro else None
    devido = mundo["devido"][primeiro] if primeiro else None   # the same employer's due time
    out = {
        "employers": a.employers, "workers": a.workers, "latency_ms": a.latency_ms,
        "mode": "scheduler" if a.scheduler else "dag.test", "concurrency_per_employer": concorrencia,
        **({"repo": str(repo)} if repo != REPO else {}),
        "seconds_total": round(r["fim"] - r["inicio"], 2),
        "seconds_from_apuramento": round(max(emails) - apurado, 2) if emails and apurado else None,
        "fetch_seconds": round(fetch, 2),
        "fetch_limit_seconds": round(limite, 3),
        "fetch_efficiency": round(limite / fetch, 3) if fetch else None,
        # requests in flight on average while fetching (the server's time per GET summed ÷ fetch_seconds): C would
        # mean the client kept every slot it allows busy
        "fetch_mean_in_flight": round(mundo["ocupado"] / fetch, 1) if fetch else None,
        "total_over_fetch_limit": round((r["fim"] - r["inicio"]) / limite, 1) if limite else None,
        # where the time from the apuramento goes: before the first per-worker GET, and after the last answer
        "apuramento_to_first_fetch_s": (round(min(v[0] for v in mundo["spans"].values()) - apurado, 2)
                                        if mundo["spans"] and apurado else None),
        # the sandbox's own time computing the first employer's apuramento (due → answered), not counted above
        "apuramento_compute_s": round(apurado - devido, 2) if apurado and devido else None,
        "last_fetch_to_last_email_s": (round(max(emails) - max(v[1] for v in mundo["spans"].values()), 2)
                                       if mundo["spans"] and emails else None),
        "task_instances": r["task_instances"],
        "peak_rss_mb": r["peak_rss_mb"],
        # CPU seconds, steadier than wall time on a shared machine: the pipeline (dag.test()'s process and the
        # fetch's share processes, during the run) and the sandbox (from the run's start to its end)
        "cpu_seconds_pipeline": r.get("cpu_s"),
        "cpu_seconds_sandbox": round(cpu_sandbox, 2),
        "loadavg_1m": round(carga, 2),
        # the machine's speed just before and after the run (``referencia_maquina``): lower is faster
        "machine_ref_s": [ref_antes, ref_depois],
        "run_state": r["estado"],
        "employers_concluded": sum(1 for e in resumo["employers"] if e.get("estado") == "CONCLUIDO"),
        "emails": len(emails), "per_worker_gets": mundo["pedidos"],
        "apuramento_delay_s": a.apuramento_delay, "emissao_delay_s": a.emissao_delay,
        "prepare_seconds": round(prep_s, 1),
    }
    if a.keep:
        out["dir"] = str(tmp)
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
