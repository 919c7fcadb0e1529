"""Step 5: the Segurança Social's apuramento of the month — whether it is ready, and until when to wait.

The wait itself runs in Airflow's triggerer (``plugins/ciclo_airflow/triggers.py``) on the async client; these
are the plain functions it and the sensor share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ciclo.domain.periodo import AnoMes, data_limite_confirmacao

LISBOA = ZoneInfo("Europe/Lisbon")
ESTADOS_PRONTOS = ("APURADO", "CONFIRMADO")


@dataclass(frozen=True)
class EstadoApuramento:
    estado: str | None
    numero_trabalhadores: int | None

    @property
    def pronto(self) -> bool:
        return self.estado in ESTADOS_PRONTOS

    def as_dict(self) -> dict:
        return {"estado": self.estado, "numeroTrabalhadores": self.numero_trabalhadores}


def _estado(m) -> EstadoApuramento:
    return EstadoApuramento(str(m.estado) if m.estado is not None else None, m.numeroTrabalhadores)


def estado_sync(client, niss_ee: str, ano_mes: str) -> EstadoApuramento:
    return _estado(client.valores_apurados_mensal(niss_ee, ano_mes))


async def estado_async(client, niss_ee: str, ano_mes: str) -> EstadoApuramento:
    return _estado(await client.valores_apurados_mensal(niss_ee, ano_mes))


def prazo_espera(ano_mes: str, max_wait_hours: float, agora: datetime | None = None) -> datetime:
    """When to stop waiting: end of day 20 of M+1 (Lisbon), or ``max_wait_hours`` from now if that is later.

    Silence by day 20 counts as acceptance, but the apuramento still arrives after it, so a late run keeps
    waiting for a bounded time instead of failing at once.
    """
    agora = agora or datetime.now(timezone.utc)
    dia20 = datetime.combine(data_limite_confirmacao(AnoMes.parse(ano_mes)), time(23, 59, 59), tzinfo=LISBOA)
    return max(dia20.astimezone(timezone.utc), agora + timedelta(hours=max_wait_hours))


def em_processamento(client, niss_ee: str, ano_mes: str) -> str:
    """What the SS is still processing for the month (``valores-comunicados?estado=EM_PROCESSAMENTO``), in words for
    the operator while the pipeline waits: submissions without and with alerts."""
    pp = client.valores_comunicados_por_processar(niss_ee, estado="EM_PROCESSAMENTO", ano_mes=ano_mes)
    return (f"{len(pp.semAlertas)} submission(s) still processing without alerts, {len(pp.comAlertas)} with alerts"
            + (f" ({', '.join(pp.comAlertas[:5])})" if pp.comAlertas else ""))
