"""The frozen context every step of a month runs in: which employer, which month, and what this run may do."""

from __future__ import annotations

from dataclasses import dataclass

from ciclo.app.configuracao import Employer
from ciclo.domain.periodo import AnoMes


@dataclass(frozen=True)
class Execucao:
    """One employer's month in one run. Built once (``resolver``), carried between tasks as ``para_xcom()``."""

    employer: Employer
    ano_mes: AnoMes
    dry_run: bool = False            # check and reconcile; send, confirm and emit nothing
    permitir_correcao: bool = False  # a changed payroll for a month the SS already holds may be sent

    @property
    def niss_ee(self) -> str:
        return self.employer.niss_ee

    @property
    def mes(self) -> str:
        """``ano_mes`` as the wire writes it (YYYYMM)."""
        return str(self.ano_mes)

    @property
    def rotulo(self) -> str:
        return f"{self.employer.rotulo} {self.mes}"

    def para_xcom(self) -> dict:
        return {"employer": self.employer.as_dict(), "ano_mes": self.mes, "dry_run": self.dry_run,
                "permitir_correcao": self.permitir_correcao, "rotulo": self.employer.rotulo}

    @classmethod
    def de_xcom(cls, d: dict) -> "Execucao":
        return cls(Employer.from_dict(d["employer"]), AnoMes.parse(d["ano_mes"]), bool(d.get("dry_run")),
                   bool(d.get("permitir_correcao")))
