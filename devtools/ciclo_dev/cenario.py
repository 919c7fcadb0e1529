"""A local scenario for the demo and the DAG tests: payroll generated for some employers, the sandbox seeded
with what the Segurança Social already knows (optionally with planted differences), the employers file, and the
environment (connections as ``AIRFLOW_CONN_*`` variables, ledger, home) a run of the DAG needs. No Airflow here."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import yaml


@dataclass
class Cenario:
    pasta: Path
    ano_mes: str
    sandbox_url: str
    employers: list[dict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    plantado: dict[str, dict] = field(default_factory=dict)
    anomalias_ee: str | None = None  # the employer whose payroll carries the planted rule violations


def _admin(url: str, method: str, path: str, **kw):
    # one client for the scenario's calls: ``httpx.request`` builds a TLS context (the CA bundle) per call,
    # 6 s of CPU for a 200-employer portfolio's seeding
    r = _cliente().request(method, f"{url}/_sandbox/{path}", **kw)
    r.raise_for_status()
    return r.json() if r.content else None


@functools.cache
def _cliente() -> httpx.Client:
    return httpx.Client(timeout=60)


def preparar(pasta: Path, sandbox_url: str, *, ano_mes: str, employers: int = 2, workers: int = 150, seed: int = 7,
             smtp_port: int | None = None, anomalias: str | None = None, planted_differences: bool = False,
             ledger_url: str | None = None, recipients: tuple[str, ...] = ("financas@empresa.example",)) -> Cenario:
    """Generate, seed and configure. ``anomalias``: {employer index: "RULE:COUNT,..."} planted in the payroll.
    ``planted_differences``: in the first employer, one worker unknown to the SS and one with an old base salary."""
    from ciclo_dev.semear import seed_from_payroll
    from ciclo.payroll import load_payroll
    from ciclo_dev.generate import generate

    pasta = Path(pasta)
    pasta.mkdir(parents=True, exist_ok=True)
    cen = Cenario(pasta, ano_mes, sandbox_url)
    g = generate(pasta / "payroll", employers=employers, workers=workers, ano_mes=ano_mes, seed=seed,
                 anomalies=anomalias or None)
    if anomalias:
        cen.anomalias_ee = g.anomalias[0]["niss_ee"] if g.anomalias else None
    nomes = {e["niss_ee"]: e.get("nome", "") for e in yaml.safe_load(g.employers_yaml.read_text())["employers"]}
    for i, (ee, sub) in enumerate(sorted(g.pastas.items())):
        p = load_payroll(str(sub), ano_mes, ee)
        sem_vinculo, base_antiga = (), {}
        if planted_differences and i == 0:
            mensais = [t for t in p.contratos.to_dict("records")
                       if str(t.get("horas_trabalho") or "") in ("", "None", "nan") and t["modalidade_contrato"] == "A"]
            alvo1, alvo2 = mensais[0]["niss_trabalhador"], mensais[1]["niss_trabalhador"]
            sem_vinculo = (alvo1,)
            base_antiga = {alvo2: (Decimal(str(mensais[1]["remuneracao_base"])) - Decimal("50.00"))}
            cen.plantado[ee] = {"sem_vinculo": alvo1, "base_antiga": alvo2}
        _admin(sandbox_url, "POST", "seed", json=seed_from_payroll(p, ano_mes, nome=nomes.get(ee, ""),
                                                                   sem_vinculo=sem_vinculo, base_antiga=base_antiga))
        conn_id = f"psi_{ee}"
        cen.env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(
            {"conn_type": "psi", "host": sandbox_url, "login": ee, "password": "sandbox"})
        cen.employers.append({"niss_ee": ee, "nome": nomes.get(ee, ee), "conn_id": conn_id,
                              "payroll_location": f"file://{(pasta / 'payroll').resolve()}/{{niss_ee}}/{{ano_mes}}",
                              "finance_recipients": list(recipients)})
    (pasta / "employers.yaml").write_text(yaml.safe_dump({"employers": cen.employers}, allow_unicode=True), encoding="utf-8")
    cen.env.update({
        "CICLO_EMPLOYERS": str((pasta / "employers.yaml").resolve()),
        "CICLO_HOME": str((pasta / "home").resolve()),
        "CICLO_LEDGER_URL": ledger_url or f"sqlite:///{(pasta / 'ledger.sqlite3').resolve()}",
        "CICLO_EMISSAO_POLL": "0.3",
    })
    if smtp_port:
        cen.env["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                                                           "extra": {"disable_ssl": True, "disable_tls": True,
                                                                     "from_email": "ciclo-contributivo@localhost"}})
    return cen
