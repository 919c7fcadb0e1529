"""Poll pacing for the Segurança Social's asynchronous answers (the apuramento, the payment-document emission).

An interval starts at a **floor**, grows by ``fator`` up to a **ceiling**, and carries **jitter**:

- the floor: never poll one request faster than this (the SS is a shared public service);
- the ceiling: the longest the pipeline may lag behind an answer that has become available (the DAG's former
  600 s meant up to ten minutes of idle waiting after the apuramento was there);
- growth ×1.5 rather than ×2: with doubling, an answer that arrives just after a poll is seen up to as long again
  as the whole wait so far; with ×1.5, half as long again;
- jitter (± a fraction, kept within floor and ceiling): many employers' polls started in the same minute (a
  portfolio's submissions) drift apart instead of hitting the service in lock-step.

ASSUMED: the PSI documents no polling rate or interval for either protocol (``/work/shared/specs``); these are our
values, chosen for the load we put on the service and the lag we accept.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

FATOR = 1.5
JITTER = 0.1


@dataclass(frozen=True)
class Espera:
    """``Espera(piso, teto)``: ``intervalos()`` yields piso, piso×1.5, … up to teto, each ± ``jitter``."""

    piso: float
    teto: float
    fator: float = FATOR
    jitter: float = JITTER

    def __post_init__(self):
        for nome in ("piso", "teto", "fator", "jitter"):
            v = getattr(self, nome)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"poll {nome} must be a finite number of seconds, got {v!r}")
        if self.piso <= 0:
            raise ValueError(f"poll floor must be more than 0 s, got {self.piso}")
        if self.teto < self.piso:
            raise ValueError(f"poll ceiling ({self.teto} s) is below the floor ({self.piso} s)")
        if self.fator < 1:
            raise ValueError(f"poll growth factor must be at least 1, got {self.fator}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"poll jitter must be a fraction in [0, 1), got {self.jitter}")

    def proxima(self, atual: float | None) -> float:
        """The interval after ``atual`` without jitter (``None``: the first, the floor)."""
        if atual is None:
            return float(self.piso)
        return float(min(self.teto, max(self.piso, atual * self.fator)))

    def agitar(self, base: float, rng: random.Random | None = None) -> float:
        """``base`` ± jitter, never below the floor nor above the ceiling."""
        if not self.jitter:
            return base
        r = (rng or random).uniform(-self.jitter, self.jitter)
        return float(min(self.teto, max(self.piso, base * (1 + r))))

    def intervalos(self, rng: random.Random | None = None) -> Iterator[float]:
        base = None
        while True:
            base = self.proxima(base)
            yield self.agitar(base, rng)
