"""Failure notifications for operators.

``OperatorNotifier`` writes one JSON line per failed task to ``$CICLO_HOME/notifications.jsonl`` (what the
Airflow UI's operator and the demo read) and, when ``CICLO_OPERATOR_EMAIL`` is set, emails it through the
``smtp_default`` (or ``CICLO_SMTP_CONN_ID``) connection. Messages carry the task, employer and error text,
never credentials (the PSI clients' errors are secret-free by construction).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from airflow.sdk import BaseNotifier


def notificar_operador(registo: dict, assunto: str) -> None:
    """Append ``registo`` to ``$CICLO_HOME/notifications.jsonl`` and, with ``CICLO_OPERATOR_EMAIL``, email it."""
    import html as _html

    home = Path(os.environ.get("CICLO_HOME", "var"))
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "notifications.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(registo, ensure_ascii=False, default=str) + "\n")
    destino = os.environ.get("CICLO_OPERATOR_EMAIL")
    if destino:
        from email.message import EmailMessage

        from ciclo_airflow.resultado import _MailerSmtp

        msg = EmailMessage()
        msg["Subject"], msg["To"] = assunto, destino
        msg["From"] = os.environ.get("CICLO_FROM_EMAIL", "ciclo-contributivo@localhost")
        texto = json.dumps(registo, ensure_ascii=False, indent=2, default=str)
        msg.set_content(texto)
        msg.add_alternative(f"<pre>{_html.escape(texto)}</pre>", subtype="html")
        _MailerSmtp(os.environ.get("CICLO_SMTP_CONN_ID", "smtp_default")).enviar(msg)


class OperatorNotifier(BaseNotifier):
    template_fields = ()

    def __init__(self, titulo: str = "Ciclo contributivo: tarefa falhou"):
        super().__init__()
        self.titulo = titulo

    def notify(self, context):
        ti = context.get("ti") or context.get("task_instance")
        exc = context.get("exception")
        params = context.get("params") or {}
        registo = {
            "ts": datetime.now(timezone.utc).isoformat(),
            "dag_id": getattr(ti, "dag_id", None), "task_id": getattr(ti, "task_id", None),
            "map_index": getattr(ti, "map_index", None), "run_id": getattr(ti, "run_id", None),
            "ano_mes": params.get("ano_mes"), "erro": f"{type(exc).__name__}: {exc}" if exc else None,
        }
        notificar_operador(registo, f"{self.titulo}: {registo['task_id']}")
