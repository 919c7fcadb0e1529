"""The pipeline's ledger: its own database (SQLite by default, PostgreSQL in production), never Airflow's.

Records per EE and ``ano_mes`` the payroll snapshot (the export's bytes and the quality verdict), contract changes
communicated, each remuneration submission (PENDING → SENT → ACKNOWLEDGED, or FAILED / UNKNOWN), the apuramento,
the valores apurados per worker, the reconciliation, the decision, the payment documents and an audit row for every
external call. Only this package touches its tables: one repository per aggregate (``ciclo.ledger.repositorios``).
"""

from ciclo.ledger.db import Ledger, LedgerError, sql_dir

__all__ = ["Ledger", "LedgerError", "sql_dir"]
