"""Configuration, read once: the employers served (a YAML file) and the pipeline's settings (the environment).

```yaml
employers:
  - niss_ee: "20000003116"
    nome: "Exemplo, Lda."
    conn_id: psi_20000003116          # Airflow Connection with the PSI credentials (login = NISS)
    payroll_location: "file:///data/payroll/{niss_ee}/{ano_mes}"   # {niss_ee} and {ano_mes} are filled in
    finance_recipients: ["financas@exemplo.pt"]
    mapping: null                     # optional YAML column mapping for a foreign payroll export
```

Settings (``Definicoes``) come from ``CICLO_*`` environment variables, read in one place; the Airflow adapter
resolves Connections (PSI credentials, the ledger, SMTP) and passes plain values in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from ciclo.domain.niss import formato_valido


class ConfigError(ValueError):
    """The configuration is wrong: says which setting or file, and what to fix."""


@dataclass(frozen=True)
class Employer:
    niss_ee: str
    nome: str
    conn_id: str
    payroll_location: str
    finance_recipients: tuple[str, ...] = field(default_factory=tuple)
    mapping: str | None = None

    def payroll_url(self, ano_mes: str) -> str:
        return self.payroll_location.format(niss_ee=self.niss_ee, ano_mes=ano_mes)

    @property
    def rotulo(self) -> str:
        """How the UI and messages name this employer: "Padaria Marques (21163218588)"."""
        return f"{self.nome} ({self.niss_ee})" if self.nome else self.niss_ee

    def as_dict(self) -> dict:
        return {"niss_ee": self.niss_ee, "nome": self.nome, "conn_id": self.conn_id,
                "payroll_location": self.payroll_location, "finance_recipients": list(self.finance_recipients),
                "mapping": self.mapping}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Employer":
        return cls(niss_ee=str(d["niss_ee"]), nome=d.get("nome") or "", conn_id=d.get("conn_id") or f"psi_{d['niss_ee']}",
                   payroll_location=d["payroll_location"], finance_recipients=tuple(d.get("finance_recipients") or ()),
                   mapping=d.get("mapping"))


def load_employers(path: str | Path) -> list[Employer]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"employers file not found: {path} (set CICLO_EMPLOYERS)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    out, seen = [], set()
    for i, raw in enumerate(data.get("employers") or [], start=1):
        for key in ("niss_ee", "payroll_location"):
            if not raw.get(key):
                raise ConfigError(f"{path}: employer #{i} has no {key}")
        emp = Employer.from_dict(raw)
        if not formato_valido(emp.niss_ee):
            raise ConfigError(f"{path}: employer #{i}: NISS EE {emp.niss_ee!r} does not have 11 digits")
        if emp.niss_ee in seen:
            raise ConfigError(f"{path}: employer {emp.niss_ee} is listed twice")
        seen.add(emp.niss_ee)
        out.append(emp)
    if not out:
        raise ConfigError(f"{path}: no employers configured")
    return out


def select(employers: list[Employer], wanted: list[str] | None) -> list[Employer]:
    """The employers a run serves: all, or those whose NISS is in ``wanted`` (unknown ones are an error)."""
    if not wanted:
        return employers
    by = {e.niss_ee: e for e in employers}
    unknown = [w for w in wanted if str(w) not in by]
    if unknown:
        raise ConfigError(f"employers not configured: {', '.join(map(str, unknown))}")
    return [by[str(w)] for w in wanted]


@dataclass(frozen=True)
class Definicoes:
    """The pipeline's settings. ``do_ambiente()`` reads every ``CICLO_*`` variable once; tests build it directly."""

    home: Path = Path("var")
    employers_path: Path = Path("config/employers.yaml")
    ledger_url: str | None = None          # CICLO_LEDGER_URL; the adapter may take it from a Connection instead
    ledger_local: bool = False             # CICLO_LEDGER_LOCAL=1: an explicit SQLite ledger under home (demo)
    tolerancia: Decimal = Decimal("0.01")  # per difference, in euros
    email_por: str = "ee"                  # "ee": one finance email per employer; "execucao": one per run
    remetente: str = "ciclo-contributivo@localhost"
    email_operador: str | None = None
    emissao_poll_s: float = 0.5            # CICLO_EMISSAO_POLL: the emission poll's floor (ciclo.psi.espera)
    aprovacao_min_minutos: float = 60.0    # after day 20 the operator still gets this window before silence applies
    # grouping employers into lotes (one mapped instance per lote): an employer whose export weighs at least
    # lote_peso_max bytes runs alone; smaller ones share a lote up to that weight and lote_max_empregadores
    lote_peso_max: int = 2_000_000
    lote_max_empregadores: int = 50
    # employers of a lote handled at once by a step that mostly waits on the SS (its searches answer "not processed
    # yet" first, SOAP and REST round trips): their waits overlap; 1 = one after the other
    lote_paralelo: int = 20
    # a large employer's fetch in up to fetch_processos processes (one share each, the employer's concurrency budget
    # split between them), only when each would fetch at least fetch_min_por_processo workers: the fetch is bound by
    # one process's CPU per request; 1 = in the task's process only
    fetch_processos: int = 2
    fetch_min_por_processo: int = 2500

    @classmethod
    def do_ambiente(cls, env: Mapping[str, str] | None = None) -> "Definicoes":
        env = os.environ if env is None else env

        def num(nome: str, tipo, padrao):
            v = env.get(nome)
            if v in (None, ""):
                return padrao
            try:
                return tipo(v)
            except (ValueError, InvalidOperation):
                raise ConfigError(f"{nome}={v!r} is not a valid {tipo.__name__}") from None

        email_por = env.get("CICLO_EMAIL_POR", "ee").strip().lower()
        if email_por not in ("ee", "execucao"):
            raise ConfigError(f"CICLO_EMAIL_POR={email_por!r}: use 'ee' or 'execucao'")
        return cls(
            home=Path(env.get("CICLO_HOME", "var")).resolve(),
            employers_path=Path(env.get("CICLO_EMPLOYERS", "config/employers.yaml")),
            ledger_url=env.get("CICLO_LEDGER_URL") or None,
            ledger_local=env.get("CICLO_LEDGER_LOCAL", "").strip().lower() in ("1", "true", "yes"),
            tolerancia=num("CICLO_TOLERANCIA", Decimal, Decimal("0.01")),
            email_por=email_por,
            remetente=env.get("CICLO_FROM_EMAIL", "ciclo-contributivo@localhost"),
            email_operador=env.get("CICLO_OPERATOR_EMAIL") or None,
            emissao_poll_s=num("CICLO_EMISSAO_POLL", float, 0.5),
            aprovacao_min_minutos=num("CICLO_APROVACAO_MIN_MINUTOS", float, 60.0),
            lote_peso_max=num("CICLO_LOTE_BYTES", int, 2_000_000),
            lote_max_empregadores=num("CICLO_LOTE_EMPREGADORES", int, 50),
            lote_paralelo=num("CICLO_LOTE_PARALELO", int, 20),
            fetch_processos=num("CICLO_FETCH_PROCESSOS", int, 2),
            fetch_min_por_processo=num("CICLO_FETCH_MIN_POR_PROCESSO", int, 2500),
        )

    def url_do_ledger(self) -> str:
        """The ledger's URL: explicit, never guessed. A missing setting is an error, not a local file."""
        if self.ledger_url:
            return self.ledger_url
        if self.ledger_local:
            self.home.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{self.home / 'ledger.sqlite3'}"
        raise ConfigError("the ledger's location is not configured: define the ciclo_ledger connection, set "
                          "CICLO_LEDGER_URL, or set CICLO_LEDGER_LOCAL=1 for a local SQLite ledger (demo only)")

    def pasta_relatorio(self, niss_ee: str, ano_mes: str) -> Path:
        d = self.home / "reports" / niss_ee / ano_mes
        d.mkdir(parents=True, exist_ok=True)
        return d

    def employers(self) -> list[Employer]:
        return load_employers(self.employers_path)
