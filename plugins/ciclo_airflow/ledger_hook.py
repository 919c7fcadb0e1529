"""``LedgerHook``: where the ledger lives, from an Airflow Connection — explicitly, never guessed.

Order: the ``ciclo_ledger`` Connection (or ``CICLO_LEDGER_CONN_ID``) when it exists; otherwise ``CICLO_LEDGER_URL``;
otherwise ``CICLO_LEDGER_LOCAL=1`` (a SQLite file under ``CICLO_HOME``, for the demo). A lookup that *fails*
(secrets backend down, Execution API error) fails the task: it never falls back to another ledger, because an
empty ledger would send again what the Segurança Social already holds.
"""

from __future__ import annotations

import os

from airflow.sdk.bases.hook import BaseHook


class LedgerHook(BaseHook):
    conn_name_attr = "ledger_conn_id"
    default_conn_name = "ciclo_ledger"
    conn_type = "generic"
    hook_name = "Ciclo contributivo ledger"

    def __init__(self, ledger_conn_id: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.ledger_conn_id = ledger_conn_id or os.environ.get("CICLO_LEDGER_CONN_ID", self.default_conn_name)

    def url(self, definicoes) -> str:
        from airflow.sdk.exceptions import AirflowNotFoundException

        try:
            conn = self.get_connection(self.ledger_conn_id)
        except AirflowNotFoundException:
            return definicoes.url_do_ledger()  # explicit env setting, or a clear ConfigError
        uri = conn.get_uri()
        for antigo in ("postgres://", "postgresql://"):
            if uri.startswith(antigo):
                uri = "postgresql+psycopg://" + uri[len(antigo):]
        return uri

    def get_conn(self):
        from ciclo.app.configuracao import Definicoes
        from ciclo.ledger import Ledger

        return Ledger(self.url(Definicoes.do_ambiente()))
