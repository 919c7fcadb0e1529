"""Poll pacing (``ciclo.psi.espera``): floor, growth, ceiling, jitter within them, and clear errors."""

import random

import pytest

from ciclo.psi.espera import Espera


def test_from_the_floor_by_half_up_to_the_ceiling_without_jitter():
    it = Espera(2, 10, jitter=0).intervalos()
    assert [next(it) for _ in range(7)] == [2, 3, 4.5, 6.75, 10, 10, 10]


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
    ({"piso": 1, "teto": 2, "fator": 0.5}, "growth factor"),
    ({"piso": 1, "teto": 2, "jitter": 1.5}, "jitter"),
    ({"piso": float("nan"), "teto": 2}, "finite number"),
])
def test_bad_settings_are_refused_with_what_is_wrong(kw, msg):
    with pytest.raises(ValueError, match=msg):
        Espera(**kw)
