"""``ApuramentoTrigger``: waits, in the triggerer, for the Segurança Social's apuramento of an EE's month.

Runs on async httpx (the PSI async client) and holds no worker slot. Polls the monthly valores apurados until the
month is APURADO or CONFIRMADO, or the deadline passes, paced by ``ciclo.psi.espera.Espera``: ``poll_initial`` is
the floor, growing ×1.5 up to ``poll_max`` (the ceiling: the longest the apuramento can sit unseen), ± ``jitter``
so that a portfolio's employers, all submitted in the same minutes, do not poll in lock-step. The sensor has just
polled before deferring, so the trigger waits one floor before its first poll.
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
                 poll_initial: float = 2.0, poll_max: float = 300.0, jitter: float = 0.1):
        from ciclo.psi.espera import Espera

        super().__init__()
        self.conn_id = conn_id
        self.niss_ee = niss_ee
        self.ano_mes = ano_mes
        self.deadline = deadline  # ISO datetime with timezone
        self.poll_initial = float(poll_initial)
        self.poll_max = float(poll_max)
        self.jitter = float(jitter)
        self.espera = Espera(self.poll_initial, self.poll_max, jitter=self.jitter)  # a bad setting fails here, named

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("ciclo_airflow.triggers.ApuramentoTrigger", {
            "conn_id": self.conn_id, "niss_ee": self.niss_ee, "ano_mes": self.ano_mes, "deadline": self.deadline,
            "poll_initial": self.poll_initial, "poll_max": self.poll_max, "jitter": self.jitter,
        })

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ciclo.app.apuramento import estado_async
        from ciclo.psi import errors as E

        client = await _async_client(self.conn_id)
        deadline = datetime.fromisoformat(self.deadline)
        intervalos = self.espera.intervalos()
        try:
            await asyncio.sleep(max(0.0, min(next(intervalos), (deadline - datetime.now(timezone.utc)).total_seconds())))
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
                delay = min(next(intervalos), remaining)
                log.info("apuramento %s %s: %s; next check in %.1f s", self.niss_ee, self.ano_mes, estado.get("estado"), delay)
                await asyncio.sleep(delay)
        finally:
            await client.aclose()


async def _async_client(conn_id: str):
    from asgiref.sync import sync_to_async

    from psi_hook import PsiHook

    hook = PsiHook(conn_id)
    return await sync_to_async(hook.get_async_client)()
