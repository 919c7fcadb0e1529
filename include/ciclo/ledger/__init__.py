"""The pipeline's ledger: its own database (SQLite by default, PostgreSQL in production), never Airflow's.

Records per EE and ``ano_mes`` the payroll snapshot, contract changes communicated, each remuneration
submission (PENDING → SENT → ACKNOWLEDGED, or FAILED / UNKNOWN), the apuramento status, the valores apurados
per worker and an audit row for every external call.
"""

from ciclo.ledger.db import Ledger, ledger_url_default, sql_dir

__all__ = ["Ledger", "ledger_url_default", "sql_dir"]
