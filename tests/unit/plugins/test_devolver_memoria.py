"""After a step, the heap it freed goes back to the system (glibc's malloc_trim), not kept for the next steps of
the same process (``dag.test()``, a worker that keeps its process)."""

from __future__ import annotations

import pytest


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for linha in f:
            if linha.startswith("VmRSS:"):
                return int(linha.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_freed_heap_is_returned_after_the_step():
    from ciclo_airflow.resultado import _malloc_trim, devolver_memoria

    if _malloc_trim() is None:
        pytest.skip("not glibc: nothing to trim")
    # ≈100 MB in chunks glibc serves from its heap (above Python's small-object allocator, below mmap's threshold),
    # with a live chunk after them so that freeing them cannot shrink the heap from its top
    blocos = [bytes(1000) + bytes([i % 251]) for i in range(100_000)]
    sentinela = bytes(2000) + b"x"
    antes = _rss_mb()
    del blocos
    livre = _rss_mb()
    devolver_memoria()
    depois = _rss_mb()
    assert sentinela
    assert antes - livre < 30, "freed memory already went back without a trim: the test proves nothing"
    assert livre - depois > 60, (antes, livre, depois)
