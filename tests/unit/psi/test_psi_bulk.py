"""The bulk fetch's own guarantees, with a stand-in client (the HTTP side is tested against the sandbox in
tests/integration/psi/): never more than ``concurrency`` requests in flight, the rate limit, progress lines,
per-worker failures collected."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from ciclo.psi import errors as E
from ciclo.psi.bulk import fetch_valores_apurados


class ClienteFalso:
    def __init__(self, demora=0.01, falha=()):
        self.demora, self.falha = demora, set(falha)
        self.em_curso = self.maximo = self.pedidos = 0

    async def valores_apurados_trabalhador_json(self, niss_ee, ano_mes, niss):
        self.pedidos += 1
        self.em_curso += 1
        self.maximo = max(self.maximo, self.em_curso)
        try:
            await asyncio.sleep(self.demora)
        finally:
            self.em_curso -= 1
        if niss in self.falha:
            raise E.PsiRetryableError("consultarValoresApuradosTrabalhador: temporarily unavailable (HTTP 503)")
        return {"anoMes": ano_mes, "nissTrabalhador": int(niss)}


def nisses(n):
    return [str(10000000000 + i) for i in range(n)]


def test_concurrency_is_bounded_and_failures_are_collected():
    c = ClienteFalso(falha={"10000000007"})
    guardados = []
    res = asyncio.run(fetch_valores_apurados(c, "20000003116", "202509", nisses(200), lambda n, d: guardados.append(n),
                                             concurrency=8))
    assert c.maximo == 8 and c.pedidos == 200
    assert res.done == 199 and list(res.failed) == ["10000000007"] and "HTTP 503" in res.failed["10000000007"]
    assert len(guardados) == len(set(guardados)) == 199


def test_rate_limit_is_honoured():
    c = ClienteFalso(demora=0)
    t0 = time.monotonic()
    res = asyncio.run(fetch_valores_apurados(c, "20000003116", "202509", nisses(40), lambda n, d: None,
                                             concurrency=16, rate_per_second=20))
    # aiolimiter lets a first burst of 20 through, then 20 per second
    assert res.done == 40 and time.monotonic() - t0 >= 0.9


def test_progress_is_logged(caplog):
    caplog.set_level(logging.INFO, logger="ciclo.psi.bulk")
    c = ClienteFalso(demora=0.02, falha={"10000000001"})
    asyncio.run(fetch_valores_apurados(c, "20000003116", "202509", nisses(60), lambda n, d: None, concurrency=4,
                                       progress_every_s=0.1))
    linhas = [r.getMessage() for r in caplog.records if r.name == "ciclo.psi.bulk"]
    assert any("/60 done" in ln and "/s" in ln and "1 errors" in ln for ln in linhas), linhas
    assert linhas[-1].startswith("valores apurados 20000003116 202509: 59/60 fetched in")


def test_a_shared_queue_is_taken_from_the_front_while_parts_are_handed_out_from_the_back():
    """``FilaPartilhada``: the fetch takes from the front; ``ceder`` hands equal parts of what is left from the back
    (for processes that join); every worker once, by one side or the other."""
    import threading

    from ciclo.psi.bulk import FilaPartilhada

    fila = FilaPartilhada(nisses(100) + [" 10000000003 "])   # a duplicate (as given) is dropped
    assert len(fila) == 100
    c = ClienteFalso(demora=0.005)
    guardados: list[str] = []
    cedidas: list[list[str]] = []

    def ceder_a_meio():
        while c.pedidos < 20:
            time.sleep(0.001)
        cedidas.extend(fila.ceder(2, 3))   # two processes join this one: a third of what is left each

    t = threading.Thread(target=ceder_a_meio)
    t.start()
    res = asyncio.run(fetch_valores_apurados(c, "20000003116", "202509", fila, lambda n, d: guardados.append(n),
                                             concurrency=4))
    t.join()
    restantes = 100 - sum(map(len, cedidas)) - res.total
    assert restantes == 0 and res.done == res.total == len(guardados)
    assert len(cedidas) == 2 and len(cedidas[0]) == len(cedidas[1]) > 0
    todos = guardados + cedidas[0] + cedidas[1]
    assert sorted(todos) == nisses(100)
    assert cedidas[1] + cedidas[0] == nisses(100)[-2 * len(cedidas[0]):]   # from the back, each part in order


# ------------------------------------------------------------------------------------------------ BatchingSink
def _sink(**kw):
    from ciclo.psi.bulk import BatchingSink

    lotes: list[list[str]] = []
    return BatchingSink(lambda lote: lotes.append([n for n, _ in lote]), **kw), lotes


def test_the_sink_writes_every_document_once_in_batches_no_larger_than_asked():
    sink, lotes = _sink(max_batch=7, max_delay=5.0)
    with sink:
        for n in nisses(100):
            sink(n, {"nissTrabalhador": n})
    assert [n for lote in lotes for n in lote] == nisses(100)   # each once, in the order fetched
    assert max(map(len, lotes)) == 7 and sink.escritos == 100


def test_a_full_batch_is_written_at_once_and_a_partial_one_after_the_delay():
    sink, lotes = _sink(max_batch=5, max_delay=0.3)
    t0 = time.monotonic()
    for n in nisses(5):
        sink(n, {})
    while not lotes and time.monotonic() - t0 < 5:
        time.sleep(0.005)
    assert lotes == [nisses(5)] and time.monotonic() - t0 < 0.25   # not held for the timer
    sink("99999999999", {})
    time.sleep(0.05)
    assert len(lotes) == 1                                          # a partial batch waits for its delay...
    t1 = time.monotonic()
    while len(lotes) < 2 and time.monotonic() - t1 < 5:
        time.sleep(0.005)
    assert lotes[1] == ["99999999999"] and time.monotonic() - t1 < 1.0   # ...and no longer (a crash loses little)
    sink.close()
    assert sink.escritos == 6


def test_a_writer_that_falls_behind_holds_the_fetch_back():
    from ciclo.psi.bulk import BatchingSink

    solta = threading.Event()
    escritos = []

    def lento(lote):
        solta.wait(5)
        escritos.extend(lote)

    sink = BatchingSink(lento, max_batch=2, max_delay=0.01)
    entregues = []

    def produzir():
        for n in nisses(200):
            sink(n, {})
            entregues.append(n)

    t = threading.Thread(target=produzir)
    t.start()
    time.sleep(0.3)
    # the writer is stuck on its first batch: at most 20 batches wait beside the list it took, then the fetch waits
    retidos = len(entregues)
    assert retidos <= 2 * (2 * 20)
    time.sleep(0.2)
    assert len(entregues) == retidos < 200
    solta.set()
    t.join(5)
    sink.close()
    assert len(entregues) == 200 and [n for n, _ in escritos] == nisses(200)


def test_a_writer_error_reaches_the_fetch_and_close():
    from ciclo.psi.bulk import BatchingSink

    def falha(lote):
        raise OSError("disk I/O error")

    sink = BatchingSink(falha, max_batch=3, max_delay=0.01)
    with pytest.raises(RuntimeError, match="the sink's writer failed"):
        for n in nisses(1000):   # far more than the list holds: a fetch never hangs on a dead writer
            sink(n, {})
            time.sleep(0.001)
    with pytest.raises(RuntimeError, match="writing fetched documents failed: disk I/O error"):
        sink.close()
