"""Small helpers shared by the apuramento sensor (sync) and trigger (async)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ciclo.domain.periodo import AnoMes, data_limite_confirmacao

LISBOA = ZoneInfo("Europe/Lisbon")


def _campos(m) -> dict:
    get = (lambda k: m.get(k)) if isinstance(m, dict) else (lambda k: getattr(m, k, None))
    estado = get("estado")
    return {"estado": str(getattr(estado, "value", estado)) if estado is not None else None,
            "numeroTrabalhadores": get("numeroTrabalhadores") if isinstance(m, dict) else get("numero_trabalhadores")}


async def estado_mensal(client, niss_ee: str, ano_mes: str) -> dict:
    return _campos(await client.valores_apurados_mensal(niss_ee, ano_mes))


def estado_mensal_sync(client, niss_ee: str, ano_mes: str) -> dict:
    return _campos(client.valores_apurados_mensal(niss_ee, ano_mes))


def prazo_espera(ano_mes: str, max_wait_hours: float, agora: datetime | None = None) -> datetime:
    """When to stop waiting: end of day 20 of M+1 (Lisbon), or ``max_wait_hours`` from now if that is later.

    Silence by day 20 counts as acceptance, but the apuramento still arrives after it, so a late run keeps
    waiting for a bounded time instead of failing at once.
    """
    agora = agora or datetime.now(timezone.utc)
    dia20 = datetime.combine(data_limite_confirmacao(AnoMes.parse(ano_mes)), time(23, 59, 59), tzinfo=LISBOA)
    return max(dia20.astimezone(timezone.utc), agora + timedelta(hours=max_wait_hours))
