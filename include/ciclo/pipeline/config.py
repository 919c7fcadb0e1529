"""Employers served by a run: a YAML file (``CICLO_EMPLOYERS``, default ``config/employers.yaml``).

```yaml
employers:
  - niss_ee: "20000003116"
    nome: "Exemplo, Lda."
    conn_id: psi_20000003116          # Airflow Connection with the PSI credentials (login = NISS)
    payroll_location: "file:///data/payroll/{niss_ee}/{ano_mes}"   # {niss_ee} and {ano_mes} are filled in
    finance_recipients: ["financas@exemplo.pt"]
    mapping: null                     # optional YAML column mapping for a foreign payroll export
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ciclo.domain.niss import formato_valido


class ConfigError(ValueError):
    pass


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

    def as_dict(self) -> dict:
        return {"niss_ee": self.niss_ee, "nome": self.nome, "conn_id": self.conn_id,
                "payroll_location": self.payroll_location, "finance_recipients": list(self.finance_recipients),
                "mapping": self.mapping}

    @classmethod
    def from_dict(cls, d: dict) -> "Employer":
        return cls(niss_ee=str(d["niss_ee"]), nome=d.get("nome", ""), conn_id=d.get("conn_id") or f"psi_{d['niss_ee']}",
                   payroll_location=d["payroll_location"], finance_recipients=tuple(d.get("finance_recipients") or ()),
                   mapping=d.get("mapping"))


def employers_path() -> Path:
    return Path(os.environ.get("CICLO_EMPLOYERS", "config/employers.yaml"))


def load_employers(path: str | Path | None = None) -> list[Employer]:
    path = Path(path) if path else employers_path()
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
