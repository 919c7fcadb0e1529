"""``make demo``: three consecutive monthly cycles on embedded defaults, then a summary of where everything landed.

Starts the PSI sandbox and a local SMTP catcher, generates payroll for two employers (a few hundred workers) for
three consecutive months, and runs the ``contribution_cycle`` DAG in-process with ``dag.test()`` on SQLite once per
month, so the reports' history and month-to-month comparison show real months. The first two months are clean
(confirmed automatically); the third carries one planted data-quality warning and two planted differences the
report explains (a worker the Segurança Social does not know, and a contract whose base salary was never updated
there), so the demo operator approves the confirmation (saying so). Finally it writes the finance pack of the last
month (the email as .eml, the workbook, the payment documents as PDF) with ``ciclo.relatorio`` under
``var/demo/financas/``. Stops everything it started. Outputs under ``var/demo/``.
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

    ultimo = AnoMes.parse(os.environ.get("CICLO_DEMO_ANO_MES") or str(AnoMes.de_data(date.today()).anterior()))
    meses = [str(ultimo.anterior().anterior()), str(ultimo.anterior()), str(ultimo)]
    print(f"ciclo demo: reference months {', '.join(meses)}; everything under {RAIZ}")
    sb = SandboxProcess(RAIZ / "sandbox.sqlite3").start()
    smtp = SmtpCatcher(RAIZ / "mail").start()
    try:
        print(f"  PSI sandbox on {sb.url} (admin API {sb.url}/_sandbox/), SMTP catcher on 127.0.0.1:{smtp.port}")
        from airflow.dag_processing.dagbag import DagBag
        from airflow.utils import db

        from ciclo_dev.operador import operador_automatico

        dag = None
        sb.admin("PUT", "config", json={"apuramento_delay_seconds": 3, "emissao_delay_seconds": 1})
        estados = []
        for i, ano_mes in enumerate(meses):
            ultimo_mes = i == len(meses) - 1
            print(f"\n== {ano_mes} ==", flush=True)
            # the same employers and workers every month (same seed); the last month plants what the report explains
            cen = preparar(RAIZ, sb.url, ano_mes=ano_mes, employers=2, workers=150, seed=2027, smtp_port=smtp.port,
                           anomalias="DQ-FICH-08:1" if ultimo_mes else None, planted_differences=ultimo_mes)
            os.environ.update(cen.env)
            if dag is None:  # parsed once the scenario's environment is in place
                print("  creating Airflow's metadata database (SQLite) ...", flush=True)
                db.resetdb()
                dag = DagBag(dag_folder=str(REPO / "dags")).get_dag("contribution_cycle")
            for ee, pl in cen.plantado.items():
                print(f"  planted at the Segurança Social for {ee}: worker {pl['sem_vinculo']} unknown (no vínculo); "
                      f"worker {pl['base_antiga']} with a base salary 50,00 € lower than the payroll's")
                print("  [demo operator] the review before sending proposes the admission and the contract fix; the "
                      "demo answers 'Não aplicar' so that the differences reach the confirmation approval")
            parar = operador_automatico(
                "Approve", "operador-demo",
                ao_responder=lambda run, mi, op: print(f"  [demo operator] answered '{op}' to the confirmation approval "
                                                       f"(map index {mi}): differences reviewed in the report", flush=True))
            t0 = time.monotonic()
            print(f"  running contribution_cycle for {ano_mes} with dag.test() ...", flush=True)
            try:
                dr = dag.test(run_conf={"ano_mes": ano_mes})
            finally:
                parar.set()
            print(f"  DAG run {dr.run_id}: {dr.state} in {time.monotonic() - t0:.0f} s")
            estados.append(_resumo(RAIZ, ano_mes, dr.state))
        _pacote_financas(RAIZ, meses[-1], cen.employers)
        print(f"\nEmails caught ({len(smtp.files())}) under {RAIZ / 'mail'}")
        return max(estados)
    finally:
        smtp.stop()
        sb.stop()


def _resumo(raiz: Path, ano_mes: str, estado) -> int:
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
    print(f"Summary: {caminho}")
    print(f"Ledger: {raiz / 'ledger.sqlite3'}   Airflow logs: {raiz / 'airflow' / 'logs'}")
    return 0 if str(estado).endswith("success") else 1


def _pacote_financas(raiz: Path, ano_mes: str, employers: list[dict]) -> None:
    """The last month as finance receives it from ``ciclo.relatorio``: the email (.eml), the workbook, the PDFs."""
    from ciclo.ledger import Ledger
    from ciclo.relatorio import construir_email, escrever_documentos_pdf, recolher, write_xlsx
    from ciclo.relatorio.aprovacao import texto_aprovacao

    lg = Ledger(os.environ["CICLO_LEDGER_URL"])
    try:
        print(f"\nFinance pack of {ano_mes} (ciclo.relatorio):")
        for emp in employers:
            dados = recolher(lg, emp["niss_ee"], ano_mes, nome=emp["nome"])
            pasta = raiz / "financas" / emp["niss_ee"] / ano_mes
            xlsx = write_xlsx(dados, pasta / f"reconciliacao-{emp['niss_ee']}-{ano_mes}.xlsx")
            pdfs = escrever_documentos_pdf(dados, pasta)
            msg = construir_email([dados], "ciclo-contributivo@localhost", emp["finance_recipients"], [xlsx, *pdfs])
            (pasta / "email.eml").write_bytes(bytes(msg))
            (pasta / "aprovacao.md").write_text(texto_aprovacao(dados, relatorio=str(pasta / "email.eml")), encoding="utf-8")
            print(f"   {msg['Subject']}")
            for f in sorted(pasta.iterdir()):
                print(f"     {f}")
    finally:
        lg.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
