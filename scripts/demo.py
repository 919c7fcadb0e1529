"""``make demo``: the whole monthly cycle on embedded defaults, then a summary of where everything landed.

Starts the PSI sandbox and a local SMTP catcher, generates payroll for two employers (a few hundred workers, one
planted data-quality warning, and two planted differences the report explains: a worker the Segurança Social does
not know, and a contract whose base salary was never updated there), runs the ``contribution_cycle`` DAG in-process
with ``dag.test()`` on SQLite, plays the operator who approves the confirmation (saying so), and stops everything
it started. Outputs under ``var/demo/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAIZ = REPO / "var" / "demo"


def main() -> int:
    shutil.rmtree(RAIZ, ignore_errors=True)
    (RAIZ / "airflow").mkdir(parents=True)
    os.environ.update({
        "AIRFLOW_HOME": str(RAIZ / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"), "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{RAIZ / 'airflow' / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("CICLO_DEMO_LOG_LEVEL", "WARNING"),
    })
    sys.path.insert(0, str(REPO / "plugins"))

    from ciclo_dev.cenario import preparar
    from ciclo_dev.processo import SandboxProcess
    from ciclo_dev.smtp_catcher import SmtpCatcher
    from ciclo.domain.periodo import AnoMes

    ano_mes = os.environ.get("CICLO_DEMO_ANO_MES") or str(AnoMes.de_data(date.today()).anterior())
    print(f"ciclo demo: reference month {ano_mes}; everything under {RAIZ}")
    sb = SandboxProcess(RAIZ / "sandbox.sqlite3").start()
    smtp = SmtpCatcher(RAIZ / "mail").start()
    try:
        print(f"  PSI sandbox on {sb.url} (admin API {sb.url}/_sandbox/), SMTP catcher on 127.0.0.1:{smtp.port}")
        cen = preparar(RAIZ, sb.url, ano_mes=ano_mes, employers=2, workers=150, seed=2027, smtp_port=smtp.port,
                       anomalias="DQ-FICH-08:1", planted_differences=True)
        os.environ.update(cen.env)
        sb.admin("PUT", "config", json={"apuramento_delay_seconds": 3, "emissao_delay_seconds": 1})
        for ee, pl in cen.plantado.items():
            print(f"  planted at the Segurança Social for {ee}: worker {pl['sem_vinculo']} unknown (no vínculo); "
                  f"worker {pl['base_antiga']} with a base salary 50,00 € lower than the payroll's")

        from airflow.dag_processing.dagbag import DagBag
        from airflow.utils import db

        from ciclo_dev.operador import operador_automatico

        print("  creating Airflow's metadata database (SQLite) ...", flush=True)
        db.resetdb()
        dag = DagBag(dag_folder=str(REPO / "dags")).get_dag("contribution_cycle")
        parar = operador_automatico(
            "Approve", "operador-demo",
            ao_responder=lambda run, mi, op: print(f"  [demo operator] answered '{op}' to the confirmation approval "
                                                   f"(map index {mi}): differences reviewed in the report", flush=True))
        t0 = time.monotonic()
        print("  running contribution_cycle with dag.test() ...", flush=True)
        try:
            dr = dag.test(run_conf={"ano_mes": ano_mes})
        finally:
            parar.set()
        print(f"  DAG run {dr.run_id}: {dr.state} in {time.monotonic() - t0:.0f} s")
        return _resumo(RAIZ, ano_mes, smtp, dr.state)
    finally:
        smtp.stop()
        sb.stop()


def _resumo(raiz: Path, ano_mes: str, smtp, estado) -> int:
    caminho = raiz / "home" / f"summary-{ano_mes}.json"
    print()
    if not caminho.exists():
        print(f"no summary was written ({caminho}); see the task logs under {raiz / 'airflow' / 'logs'}")
        return 1
    s = json.loads(caminho.read_text(encoding="utf-8"))
    for e in s["employers"]:
        print(f"EE {e['niss_ee']} {e['nome']}: {e['estado']}")
        print(f"   workers {e['trabalhadores']}, data quality {e['qualidade']} ({e.get('erros_qualidade')} errors, {e.get('avisos_qualidade')} warnings), submission {e['envio']} "
              f"(comprovativo {e['comprovativo']}), apuramento {e['apuramento']}, "
              f"valores apurados fetched {e['apurados_obtidos']}/{e['apurados_esperados']}")
        print(f"   confirmation {e.get('confirmacao')}, payment documents {', '.join(e.get('documentos_pagamento') or []) or '—'}")
        pasta = raiz / "home" / "reports" / e["niss_ee"] / ano_mes
        for f in sorted(pasta.glob("*")):
            print(f"   {f}")
    print(f"\nSummary: {caminho}")
    mails = smtp.files()
    print(f"Emails caught ({len(mails)}): " + ("".join(f"\n   {m}" for m in mails) if mails else "none"))
    print(f"Ledger: {raiz / 'ledger.sqlite3'}   Airflow logs: {raiz / 'airflow' / 'logs'}")
    return 0 if str(estado).endswith("success") else 1


if __name__ == "__main__":
    raise SystemExit(main())
