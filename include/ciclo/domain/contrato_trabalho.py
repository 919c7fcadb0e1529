"""``ContratoTrabalho``: one contract version as the SOAP service ``alterarContratoTrabalho`` takes it (SPEC:
``specs/alterar-contrato-soap.txt``, input table), the one model shared by the payroll side, the pipeline, the
client and the sandbox. Field names are the SOAP element names with underscores (``CAMPOS`` of
``ciclo.domain.contrato``); values are typed by ``ciclo.domain.contrato.normalizar`` (dates, Decimal, NISS, codes).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from ciclo.domain import jsonexato
from ciclo.domain.contrato import CAMPOS, normalizar


def _em_falta(v) -> bool:
    """Blank in any of the shapes a payroll table gives: None, "", NaN, NaT, pandas' NA."""
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if type(v).__name__ in ("NaTType", "NAType"):
        return True
    return isinstance(v, str) and v.strip() in ("", "nan", "NaT", "None", "<NA>")


@dataclass(frozen=True)
class ContratoTrabalho:
    niss_trabalhador: str | None
    modalidade_contrato: str | None
    prestacao_trabalho: str | None
    inicio_contrato: date | None
    fim_contrato: date | None
    profissao: str | None
    remuneracao_base: Decimal | None
    diuturnidades: Decimal | None
    percentagem_trabalho: Decimal | None
    horas_trabalho: Decimal | None
    dias_trabalho: Decimal | None  # monthly days of work (annual for intermittent full-time contracts)
    motivo_contrato: str | None
    niss_trabalhador_substituir: str | None

    @classmethod
    def de_campos(cls, campos: dict) -> "ContratoTrabalho":
        """From a payroll contract row or any mapping keyed by the SOAP field names. Values that do not parse are
        left out (None): the data-quality gate reports them before anything is sent."""
        limpos = {c: (None if _em_falta(campos.get(c)) else campos.get(c)) for c in CAMPOS}
        tipados, _erros = normalizar(limpos)
        return cls(**{c: tipados.get(c) for c in CAMPOS})

    def campos(self) -> dict:
        """The fields to send: SOAP names with underscores, absent optional ones left out."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @property
    def hash(self) -> str:
        """Identity of this version: sha256 of its canonical JSON (what was communicated, byte for byte)."""
        return hashlib.sha256(jsonexato.dumps(self.campos()).encode()).hexdigest()


assert tuple(f.name for f in fields(ContratoTrabalho)) == CAMPOS, "ContratoTrabalho must mirror contrato.CAMPOS"
