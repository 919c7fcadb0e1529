"""The apuramento wait's pacing in the triggerer: one floor before the first poll (the sensor has just polled),
then a fifth of the time waited (on the trigger's clock, the polls' own time counted) up to the ceiling, with
jitter kept inside both; bad settings refused when the DAG is parsed. The PSI
answers are scripted (the sandbox cannot be made to stay EM_APURAMENTO for a given number of polls)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest


class _Cliente:
    async def aclose(self):
        pass


def _correr(monkeypatch, estados, duracao_poll=0.0, relogio_inicial=1000.0, **kw):
    import ciclo.app.apuramento as apuramento
    import ciclo_airflow.triggers as triggers

    dormidas, pedidos, relogio = [], [], [relogio_inicial]

    async def dormir(s):
        dormidas.append(s)
        relogio[0] += s

    async def estado(client, niss_ee, ano_mes):
        pedidos.append(len(dormidas))
        relogio[0] += duracao_poll  # the poll's own time is part of the time waited
        e = estados.pop(0)
        return type("E", (), {"as_dict": lambda self: {"estado": e}})()

    async def cliente(conn_id):
        return _Cliente()

    monkeypatch.setattr(triggers.asyncio, "sleep", dormir)
    monkeypatch.setattr(triggers, "_agora", lambda: relogio[0])
    monkeypatch.setattr(triggers, "_async_client", cliente)
    monkeypatch.setattr(apuramento, "estado_async", estado)
    prazo = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    t = triggers.ApuramentoTrigger([("psi_x", "20000003116", "202610")], prazo, **kw)

    async def tudo():
        return [e async for e in t.run()]

    return asyncio.run(tudo()), dormidas, pedidos


def test_a_trigger_restarted_an_hour_into_the_wait_paces_on_the_whole_wait(monkeypatch):
    """The triggerer restarts (or another takes the trigger over): the trigger is rebuilt from its serialized
    arguments, which carry when the wait began — not back to the floor, and 40 polls to climb again."""
    import ciclo_airflow.triggers as triggers

    monkeypatch.setattr(triggers, "_agora", lambda: 1000.0)
    t = triggers.ApuramentoTrigger([("psi_x", "20000003116", "202610")], "2026-12-01T00:00:00+00:00", 0.5, 300.0,
                                   jitter=0.0)
    _, kw = t.serialize()
    assert kw["desde"] == 1000.0
    eventos, dormidas, _ = _correr(monkeypatch, ["EM_APURAMENTO"] * 2 + ["APURADO"], relogio_inicial=1000.0 + 3600,
                                   desde=kw["desde"], poll_initial=0.5, poll_max=300.0, jitter=0.0)
    assert dormidas == [300.0, 300.0, 300.0]   # an hour in: a fifth of it is above the 300 s ceiling


def test_waits_a_floor_first_then_a_fifth_of_the_time_waited_up_to_the_ceiling(monkeypatch):
    eventos, dormidas, pedidos = _correr(monkeypatch, ["EM_APURAMENTO"] * 17 + ["APURADO"],
                                         poll_initial=2.0, poll_max=10.0, jitter=0.0)
    assert [e.payload["resultados"]["20000003116"]["status"] for e in eventos] == ["apurado"]
    assert dormidas[:6] == [2.0] * 6    # the floor until 10 s have passed
    assert dormidas[6:9] == pytest.approx([2.4, 2.88, 3.456]) and dormidas[-3:] == [10.0] * 3
    assert pedidos[0] == 1  # no poll before the first wait


def test_the_time_the_polls_take_counts_as_time_waited(monkeypatch):
    _, dormidas, _ = _correr(monkeypatch, ["EM_APURAMENTO"] * 3 + ["APURADO"], duracao_poll=20.0,
                             poll_initial=2.0, poll_max=300.0, jitter=0.0)
    # waited 2 s, then each poll took 20 s: a fifth of 22, 2 + 20 + 4.4 + 20, ... — not the floor again and again
    assert dormidas == pytest.approx([2.0, 4.4, 9.28, 15.136])


def test_jitter_stays_between_floor_and_ceiling(monkeypatch):
    _, dormidas, _ = _correr(monkeypatch, ["EM_APURAMENTO"] * 30 + ["CONFIRMADO"], poll_initial=2.0, poll_max=20.0,
                             jitter=0.1)
    assert all(2.0 <= d <= 20.0 for d in dormidas)
    assert len(set(dormidas)) > 10  # spread, not lock-step
    assert max(dormidas[-10:]) <= 20.0 and min(dormidas[-10:]) >= 18.0


def test_serialized_with_its_pacing_and_bad_pacing_refused():
    from ciclo_airflow.triggers import ApuramentoTrigger

    t = ApuramentoTrigger([("psi_x", "20000003116", "202610")], "2026-12-01T00:00:00+00:00", 2.0, 300.0, jitter=0.1)
    caminho, kw = t.serialize()
    assert caminho == "ciclo_airflow.triggers.ApuramentoTrigger" and ApuramentoTrigger(**kw).serialize() == (caminho, kw)
    with pytest.raises(ValueError, match="ceiling .* below the floor"):
        ApuramentoTrigger([("psi_x", "20000003116", "202610")], "2026-12-01T00:00:00+00:00", 10.0, 5.0)
    from ciclo_airflow.sensors import ApuramentoSensor

    with pytest.raises(ValueError, match="floor must be more than 0"):
        ApuramentoSensor(task_id="esperar", lote={}, anterior={}, poll_initial=0, poll_max=60)
