"""``ApuramentoTrigger``: waits, in the triggerer, for the Segurança Social's apuramento of an EE's month.

Runs on async httpx (the PSI async client) and holds no worker slot. Polls the monthly valores apurados with
exponential backoff (``poll_initial`` doubling up to ``poll_max`` seconds: a floor and a ceiling) until the month
is APURADO or CONFIRMADO, or the deadline passes.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)



class ApuramentoTrigger(BaseTrigger):
    def __init__(self, conn_id: str, niss_ee: str, ano_mes: str, deadline: str,
                 poll_initial: float = 5.0, poll_max: float = 600.0):
        super().__init__()
        self.conn_id = conn_id
        self.niss_ee = niss_ee
        self.ano_mes = ano_mes
        self.deadline = deadline  # ISO datetime with timezone
        self.poll_initial = float(poll_initial)
        self.poll_max = float(poll_max)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("ciclo_airflow.triggers.ApuramentoTrigger", {
            "conn_id": self.conn_id, "niss_ee": self.niss_ee, "ano_mes": self.ano_mes, "deadline": self.deadline,
            "poll_initial": self.poll_initial, "poll_max": self.poll_max,
        })

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ciclo.app.apuramento import estado_async, proxima_espera
        from ciclo.psi import errors as E

        client = await _async_client(self.conn_id)
        deadline = datetime.fromisoformat(self.deadline)
        delay = self.poll_initial
        try:
            while True:
                try:
                    estado = (await estado_async(client, self.niss_ee, self.ano_mes)).as_dict()
                except (E.PsiAuthError, E.PsiForbiddenError, E.PsiValidationError) as exc:
                    yield TriggerEvent({"status": "error", "message": str(exc)})
                    return
                except E.PsiError as exc:  # retryable: keep waiting
                    log.warning("apuramento poll for %s %s failed (%s); will retry", self.niss_ee, self.ano_mes, type(exc).__name__)
                    estado = {"estado": None}
                if estado.get("estado") in ("APURADO", "CONFIRMADO"):
                    yield TriggerEvent({"status": "apurado", **estado})
                    return
                now = datetime.now(timezone.utc)
                remaining = (deadline - now).total_seconds()
                if remaining <= 0:
                    yield TriggerEvent({"status": "timeout", "estado": estado.get("estado"), "deadline": self.deadline})
                    return
                log.info("apuramento %s %s: %s; next check in %.0f s", self.niss_ee, self.ano_mes, estado.get("estado"), min(delay, remaining))
                await asyncio.sleep(min(delay, remaining))
                delay = proxima_espera(delay, self.poll_initial, self.poll_max)
        finally:
            await client.aclose()


async def _async_client(conn_id: str):
    from asgiref.sync import sync_to_async

    from psi_hook import PsiHook

    hook = PsiHook(conn_id)
    return await sync_to_async(hook.get_async_client)()
