"""Poll pacing for the Segurança Social's asynchronous answers (the apuramento, the payment-document emission).

The interval after waiting ``decorrido`` seconds is ``fracao × decorrido``, kept between a **floor** and a
**ceiling**, with **jitter**:

- proportional to the wait so far: an answer that becomes available is seen within ``fracao`` (20 %) of the time
  already waited (22 % with the jitter, plus the poll's own time) — a 3-second emission within about half a second,
  a one-hour apuramento within 12 minutes were there no ceiling, and never later than the ceiling (the
  apuramento's 300 s). (Growing each interval ×1.5 from the last, as this module did before, is nearly the same
  curve with ``fracao`` 0.5: an answer arriving just after a poll sat unseen for up to half as long again as the
  whole wait.)
- the floor: never poll one request faster than this. 0.5 s, held while ``fracao`` × the wait is below it: six
  intervals at the floor, the first 3 s. For scale, the fetch of the valores apurados that follows asks the same
  service for one worker per request at up to 32 requests in flight (``PsiHook.concurrency``), about 1,600 requests
  a second at 20 ms each; a poll every half second is 2.
- the ceiling: the longest the pipeline may lag behind an answer that has become available (the DAG's former 600 s
  meant up to ten minutes of idle waiting after the apuramento was there).
- jitter (± a fraction, kept within floor and ceiling): many employers' polls started in the same minute (a
  portfolio's submissions) drift apart instead of hitting the service in lock-step.

What this costs the service, per request waited for (floor 0.5 s, 20 %, ceiling 300 s; ``numero_de_polls``
computes it): 5 polls in the first 2.5 s, 40 in the first 25 minutes, then one every 5 minutes — 47 polls over an
hour, 323 over a day (the ×1.5-from-2-s pacing this module had before: 22 and 298).

ASSUMED: the PSI documents no polling rate or interval for either protocol (``/work/shared/specs``); these are our
values, chosen for the load we put on the service and the lag we accept.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

PISO = 0.5     # s: the floor both waits use by default (the apuramento sensor's poll_initial, CICLO_EMISSAO_POLL)
FRACAO = 0.2   # an available answer is seen within 20 % of the time already waited (or the floor, or the ceiling)
JITTER = 0.1


@dataclass(frozen=True)
class Espera:
    """``Espera(piso, teto)``: ``intervalo(decorrido)`` is ``fracao × decorrido`` within [piso, teto];
    ``intervalos()`` yields them back to back from a wait that starts now, each ± ``jitter``."""

    piso: float
    teto: float
    fracao: float = FRACAO
    jitter: float = JITTER

    def __post_init__(self):
        for nome in ("piso", "teto", "fracao", "jitter"):
            v = getattr(self, nome)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"poll {nome} must be a finite number of seconds, got {v!r}")
        if self.piso <= 0:
            raise ValueError(f"poll floor must be more than 0 s, got {self.piso}")
        if self.teto < self.piso:
            raise ValueError(f"poll ceiling ({self.teto} s) is below the floor ({self.piso} s)")
        if not 0 < self.fracao <= 1:
            raise ValueError(f"poll fraction of the time waited must be in (0, 1], got {self.fracao}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"poll jitter must be a fraction in [0, 1), got {self.jitter}")

    def intervalo(self, decorrido: float) -> float:
        """The wait before the next poll, without jitter, ``decorrido`` seconds after the wait began."""
        return float(min(self.teto, max(self.piso, self.fracao * max(0.0, decorrido))))

    def agitar(self, base: float, rng: random.Random | None = None) -> float:
        """``base`` ± jitter, never below the floor nor above the ceiling."""
        if not self.jitter:
            return base
        r = (rng or random).uniform(-self.jitter, self.jitter)
        return float(min(self.teto, max(self.piso, base * (1 + r))))

    def proxima(self, decorrido: float, rng: random.Random | None = None) -> float:
        """The wait before the next poll, ``decorrido`` seconds after the wait began, with its jitter: what a
        polling loop that reads a clock asks (the emission's, the apuramento trigger's)."""
        return self.agitar(self.intervalo(decorrido), rng)

    def intervalos(self, rng: random.Random | None = None) -> Iterator[float]:
        """Back-to-back intervals (the time each poll takes not counted): for tests and for ``numero_de_polls``;
        a loop that can read a clock asks ``proxima`` with the time really waited."""
        decorrido = 0.0
        while True:
            i = self.proxima(decorrido, rng)
            decorrido += i
            yield i

    def numero_de_polls(self, segundos: float) -> int:
        """How many polls (without jitter) a wait of ``segundos`` makes: the load on the service, in one number."""
        n, t = 0, 0.0
        sem = Espera(self.piso, self.teto, self.fracao, 0.0)
        for i in sem.intervalos():
            t += i
            if t > segundos:
                return n
            n += 1
        return n  # pragma: no cover - the generator never ends
