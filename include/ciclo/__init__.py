"""ciclo — the monthly Segurança Social contribution cycle.

Plain Python (no Airflow imports): payroll model and rules, contribution maths, PSI clients,
reconciliation, reports and the local PSI sandbox. Airflow glue lives in the repository's plugins/.
"""

__version__ = "0.1.0"
