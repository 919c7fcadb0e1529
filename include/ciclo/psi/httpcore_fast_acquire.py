"""httpcore's connection locks without the extra event-loop round-trip per acquire (upstream's own fix, applied here).

Under asyncio, httpcore 1.0.9's ``AsyncLock`` is an ``anyio.Lock()``. Its uncontended ``acquire`` still yields to
the event loop once (``cancel_shielded_checkpoint``), and an HTTP/1.1 request takes that lock twice: when it is
sent and when its answer is closed. In the bulk fetch (docs/BENCHMARKS.md) those yields turn the handling of
answers that arrive together into round-robin: each coroutine's next request leaves only once all the others have
had their turns, so the requests travel in waves and a fixed latency costs more than itself.

anyio added ``fast_acquire=True`` for httpcore (agronholm/anyio#761, anyio ≥ 4.5): the uncontended acquire skips
the yield and still checks for cancellation; a contended one waits as before. httpcore merged its use
(encode/httpcore#953), reverted it for process reasons (encode/httpcore#1002, no release carries it), and the
maintained fork re-applied it (pydantic/httpx2#970: "eliminating two round-trips per request through the
connection pool"). This module makes the same one-line change to httpcore's ``AsyncLock.setup`` for the versions
it was checked against, and to nothing else; ``CICLO_HTTPCORE_FAST_ACQUIRE=0`` leaves httpcore as released.

Measured with ``bench/fetch_apurados.py --workers 10000 --latency-ms 20`` on this 2-core machine, in pairs run
alternately: efficiency 0.74–0.83 as released, 0.77–0.90 with this (docs/BENCHMARKS.md).

It applies only where asked: inside ``ativas()`` (a context variable, so the tasks a bulk fetch starts inherit
it), to the locks httpcore sets up there. One fetch alone in its process gains (above); many small fetches at once,
each in its own thread and event loop (a lote's employers), lost: 50 × 20 workers in 20 threads took 1.7–2.0 s and
more CPU with it against 1.4–1.6 s without, since each loop then holds the GIL longer between its waits. So
``obtencao`` asks for it for a large employer's shares only. Installing the hook (``instalar``) is process-wide and
idempotent, and changes nothing outside ``ativas()``.

httpcore's own uses of the lock hold it around state changes and I/O, never in a loop with no other await, which
is the case the yield protects against (the busy loop discussed in encode/httpcore#922).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading

log = logging.getLogger(__name__)

# the httpcore releases whose AsyncLock.setup is the one replaced below (a new release: read its
# _synchronization.py, then add it here; tests/unit/psi/test_httpcore_fast_acquire.py fails until then)
VERSOES_VERIFICADAS = frozenset({"1.0.9"})

_instalado: bool | None = None
_trava = threading.Lock()
_ATIVAS: contextvars.ContextVar[bool] = contextvars.ContextVar("httpcore_fast_acquire", default=False)


@contextlib.contextmanager
def ativas():
    """httpcore's locks set up within (this context and the tasks it starts) acquire fast, once installed."""
    token = _ATIVAS.set(True)
    try:
        yield
    finally:
        _ATIVAS.reset(token)


def instalar() -> bool:
    """Install the hook once per process; True when httpcore's async locks set up within ``ativas()`` now acquire
    fast. A version not checked, an anyio without ``fast_acquire`` or ``CICLO_HTTPCORE_FAST_ACQUIRE=0`` leave
    httpcore untouched (logged once, at INFO: it is slower, not wrong)."""
    global _instalado
    if _instalado is not None:
        return _instalado
    with _trava:
        if _instalado is None:
            _instalado = _aplicar()
    return _instalado


def _aplicar() -> bool:
    if os.environ.get("CICLO_HTTPCORE_FAST_ACQUIRE", "1").strip().lower() in ("0", "false", "no", "off"):
        log.info("httpcore fast-acquire locks: off (CICLO_HTTPCORE_FAST_ACQUIRE)")
        return False
    import anyio
    import httpcore
    from httpcore import _synchronization as sync

    if httpcore.__version__ not in VERSOES_VERIFICADAS:
        log.info("httpcore fast-acquire locks: not applied to httpcore %s (checked: %s)", httpcore.__version__,
                 ", ".join(sorted(VERSOES_VERIFICADAS)))
        return False
    try:
        anyio.Lock(fast_acquire=True)
    except TypeError:
        log.info("httpcore fast-acquire locks: this anyio has no fast_acquire (needs anyio >= 4.5)")
        return False

    original = sync.AsyncLock.setup

    def setup(self) -> None:
        original(self)
        if self._backend == "asyncio" and _ATIVAS.get():
            self._anyio_lock = anyio.Lock(fast_acquire=True)

    setup.__wrapped__ = original  # type: ignore[attr-defined]
    sync.AsyncLock.setup = setup  # type: ignore[method-assign]
    return True
