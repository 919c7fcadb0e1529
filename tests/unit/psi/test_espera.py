"""Poll pacing (``ciclo.psi.espera``): floor, a fifth of the time waited, ceiling, jitter within them, the load
on the service, and clear errors."""

import random

import pytest

from ciclo.psi.espera import Espera


def test_the_floor_then_a_fifth_of_the_time_waited_up_to_the_ceiling_without_jitter():
    e = Espera(2, 10, jitter=0)
    assert [e.intervalo(s) for s in (0, 5, 10, 12.5, 30, 50, 500)] == [2, 2, 2, 2.5, 6, 10, 10]
    it = e.intervalos()
    vistos = [next(it) for _ in range(18)]
    assert vistos[:6] == [2] * 6                  # the floor until 10 s have passed (a fifth of 10 s is 2 s)
    assert vistos[6:9] == pytest.approx([2.4, 2.88, 3.456]) and vistos[-1] == 10


def test_an_available_answer_is_seen_within_a_fifth_of_the_wait_or_the_floor():
    """The lag: an answer that appears at any moment t of the wait is seen at the next poll, at most
    max(floor, 20 % of t) later (the ceiling caps it) — ×1.5 growth allowed up to 50 %."""
    e = Espera(0.5, 300, jitter=0)
    polls, t = [], 0.0
    for i in e.intervalos():
        t += i
        polls.append(t)
        if t > 86400:
            break
    for disponivel in (0.01, 2.83, 3.0, 7.7, 61.0, 999.0, 3600.5, 50000.0):
        visto = next(p for p in polls if p >= disponivel)
        assert visto - disponivel <= max(0.5, 0.2 * disponivel) + 1e-9, (disponivel, visto)


def test_the_load_on_the_service_per_request_waited_for():
    e = Espera(0.5, 300, jitter=0)
    assert e.numero_de_polls(2.5) == 5                  # the floor held only for the first 2.5 s
    assert e.numero_de_polls(3600) == 47 and e.numero_de_polls(86400) == 323
    # the same rule with the old floor and a fraction of a half (≈ the ×1.5 growth it replaced): fewer polls
    assert Espera(2, 300, fracao=0.5, jitter=0).numero_de_polls(3600) == 24
    assert Espera(2, 300, fracao=0.5, jitter=0).numero_de_polls(86400) == 300


def test_jitter_spreads_the_intervals_but_never_below_the_floor_nor_above_the_ceiling():
    e = Espera(2, 60, jitter=0.1)
    rng = random.Random(3)
    vistos = [e.agitar(b, rng) for b in (2, 30, 60) for _ in range(300)]
    assert min(vistos) >= 2 and max(vistos) <= 60
    meio = [e.agitar(30, rng) for _ in range(300)]
    assert 27 <= min(meio) < 29.5 and 30.5 < max(meio) <= 33  # ± 10 %, spread both ways
    assert len(set(meio)) > 100


@pytest.mark.parametrize("kw, msg", [
    ({"piso": 0, "teto": 5}, "floor must be more than 0"),
    ({"piso": 5, "teto": 2}, "ceiling .* below the floor"),
    ({"piso": 1, "teto": 2, "fracao": 0}, "fraction of the time waited"),
    ({"piso": 1, "teto": 2, "fracao": 1.5}, "fraction of the time waited"),
    ({"piso": 1, "teto": 2, "jitter": 1.5}, "jitter"),
    ({"piso": float("nan"), "teto": 2}, "finite number"),
])
def test_bad_settings_are_refused_with_what_is_wrong(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Espera(**kw)
