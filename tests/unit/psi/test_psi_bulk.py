"""The bulk fetch's own guarantees, with a stand-in client (the HTTP side is tested against the sandbox in
tests/integration/psi/): never more than ``concurrency`` requests in flight, the rate limit, progress lines,
per-worker failures collected."""

from __future__ import annotations

import asyncio
import logging
import time

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
