"""Data-quality checks on a loaded payroll export: every rule of DOMAIN.md §4, with its source, as violations a
person can act on, and a report (HTML + CSV). Errors block sending to the Segurança Social; warnings are reported.

Great Expectations is imported only when the checks run, never at import time of this package.
"""

from __future__ import annotations

from ciclo.domain.violacao import Violation

__all__ = ["Violation", "QualityResult", "check_payroll", "check_payrolls", "write_report"]


def __getattr__(nome: str):
    if nome in ("QualityResult", "check_payroll", "check_payrolls"):
        from ciclo.quality import runner

        return getattr(runner, nome)
    if nome == "write_report":
        from ciclo.quality.report import write_report

        return write_report
    raise AttributeError(nome)
