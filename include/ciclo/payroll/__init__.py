"""Payroll exports: the canonical format, loading (CSV/XLSX, Portuguese number formats, column mapping), the request
body of the valores de remuneração, and a synthetic generator. See ``docs/payroll-export.md``.

No Great Expectations and no Airflow at import time (the DAG imports this lazily inside tasks).
"""

from ciclo.payroll.loader import Payroll, PayrollLoadError, load_payroll
from ciclo.payroll.envio import to_valores_remuneracao

__all__ = ["Payroll", "PayrollLoadError", "load_payroll", "to_valores_remuneracao"]
