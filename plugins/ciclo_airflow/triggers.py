"""``ApuramentoTrigger``: waits, in the triggerer, for the Segurança Social's apuramento of several EEs' month.

Runs on async httpx (the PSI async clients) and holds no worker slot. Each round polls every employer still
waiting, concurrently, paced by ``ciclo.psi.espera.Espera`` on the time waited since the sensor deferred: 20 % of
it, never less than ``poll_initial`` (the floor) nor more than ``poll_max`` (the ceiling: the longest an
apuramento can sit unseen), ± ``jitter`` so that lotes submitted in the same minutes do not poll in lock-step. The
sensor has just polled before deferring, so the trigger waits one floor before its first round. An employer is
done when its month is APURADO or CONFIRMADO, when the SS refuses the credential (no wait can fix that), or at the
deadline; the event fires once every employer is done, with each one's outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ciclo.psi.espera import PISO, Espera

log = logging.getLogger(__name__)


class ApuramentoTrigger(BaseTrigger):
    def __init__(self, pendentes: list, deadline: str, poll_initial: float = PISO, poll_max: float = 300.0,
                 estados: dict | None = None, jitter: float = 0.1, desde: float | None = None):
        super().__init__()
        self.pendentes = [tuple(x) for x in pendentes]   # (conn_id, niss_ee, ano_mes)
        self.deadline = deadline  # ISO datetime with timezone
        self.poll_initial = float(poll_initial)
        self.poll_max = float(poll_max)
        self.estados = dict(estados or {})   # outcomes already known before deferring, handed back in the event
        self.jitter = float(jitter)
        self.espera = Espera(self.poll_initial, self.poll_max, jitter=self.jitter)  # a bad setting fails here, named
        # when the wait began (epoch seconds, set when the sensor defers and carried in the serialized trigger): a
        # triggerer that restarts, or hands the trigger to another, paces on the whole wait, not from the floor again
        self.desde = float(desde) if desde is not None else _agora()

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return ("ciclo_airflow.triggers.ApuramentoTrigger", {
            "pendentes": [list(x) for x in self.pendentes], "deadline": self.deadline,
            "poll_initial": self.poll_initial, "poll_max": self.poll_max, "estados": self.estados,
            "jitter": self.jitter, "desde": self.desde,
        })

    def _proxima(self) -> float:
        """The wait before the next round, paced on the whole wait so far."""
        return self.espera.proxima(_agora() - self.desde)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from ciclo.app import apuramento
        from ciclo.app.apuramento import ESTADOS_PRONTOS
        from ciclo.psi import errors as E

        clientes = {niss: await _async_client(conn) for conn, niss, _ in self.pendentes}
        meses = {niss: mes for _, niss, mes in self.pendentes}
        deadline = datetime.fromisoformat(self.deadline)
        resultados: dict[str, dict] = {}
        ultimo: dict[str, str | None] = {}

        async def um(niss: str) -> None:
            try:
                estado = (await apuramento.estado_async(clientes[niss], niss, meses[niss])).as_dict()
            except (E.PsiAuthError, E.PsiForbiddenError, E.PsiValidationError) as exc:
                resultados[niss] = {"status": "error", "message": str(exc)}
                return
            except E.PsiError as exc:  # retryable: keep waiting
                log.warning("apuramento poll for %s %s failed (%s); will retry", niss, meses[niss], type(exc).__name__)
                return
            ultimo[niss] = estado.get("estado")
            if estado.get("estado") in ESTADOS_PRONTOS:
                resultados[niss] = {"status": "apurado", **estado}

        try:
            await asyncio.sleep(max(0.0, min(self._proxima(), (deadline - datetime.now(timezone.utc)).total_seconds())))
            while True:
                faltam = [n for n in clientes if n not in resultados]
                await asyncio.gather(*(um(n) for n in faltam))
                faltam = [n for n in clientes if n not in resultados]
                if not faltam:
                    break
                remaining = (deadline - datetime.now(timezone.utc)).total_seconds()
                if remaining <= 0:
                    for n in faltam:
                        resultados[n] = {"status": "timeout", "estado": ultimo.get(n)}
                    break
                delay = min(self._proxima(), remaining)
                log.info("apuramento: %d of %d employer(s) still waiting (%s); next check in %.1f s", len(faltam),
                         len(clientes), ", ".join(f"{n} {ultimo.get(n)}" for n in faltam[:5]), delay)
                await asyncio.sleep(delay)
            yield TriggerEvent({"estados": self.estados, "resultados": resultados, "deadline": self.deadline})
        finally:
            for c in clientes.values():
                await c.aclose()


def _agora() -> float:
    """The wall clock (the wait's start travels between processes, so not a monotonic clock); tests replace it."""
    return time.time()


async def _async_client(conn_id: str):
    from asgiref.sync import sync_to_async

    from psi_hook import PsiHook

    hook = PsiHook(conn_id)
    return await sync_to_async(hook.get_async_client)()
