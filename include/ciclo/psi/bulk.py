"""Bulk fetch of the valores apurados per worker.

A fixed pool of ``concurrency`` worker coroutines pulls NISS from a queue (memory stays flat whatever the
number of workers), sharing one async client (one connection pool), optionally under a requests-per-second
limit (aiolimiter). Each document is handed to the sink as it arrives; per-worker failures (after the client's
GET retries) are collected and reported at the end instead of failing the batch. Progress is logged every few
seconds (done / total / rate / errors).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ciclo.psi import errors as E

log = logging.getLogger("ciclo.psi.bulk")


@dataclass
class BulkResult:
    total: int
    done: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


async def fetch_valores_apurados(client, niss_ee: str, ano_mes: str, niss_trabalhadores: Iterable[str], sink,
                                 *, concurrency: int = 32, rate_per_second: float | None = None,
                                 progress_every_s: float = 5.0) -> BulkResult:
    """Fetch every worker's valores apurados (as received JSON, decimals exact) into ``sink(niss, doc)``."""
    fila: asyncio.Queue[str] = asyncio.Queue()
    for n in niss_trabalhadores:
        fila.put_nowait(str(n).zfill(11))
    res = BulkResult(total=fila.qsize())
    limiter = None
    if rate_per_second:
        from aiolimiter import AsyncLimiter

        limiter = AsyncLimiter(rate_per_second, 1.0)
    t0 = time.monotonic()

    async def um(niss: str):
        if limiter:
            async with limiter:
                return await client.valores_apurados_trabalhador_json(niss_ee, ano_mes, niss)
        return await client.valores_apurados_trabalhador_json(niss_ee, ano_mes, niss)

    async def trabalhador():
        while True:
            try:
                niss = fila.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                doc = await um(niss)
                if doc is None:
                    res.failed[niss] = "sem valores apurados para este trabalhador"
                    continue
                r = sink(niss, doc)
                if inspect.isawaitable(r):
                    await r
                res.done += 1
            except E.PsiError as exc:
                res.failed[niss] = str(exc)

    async def progresso():
        while True:
            await asyncio.sleep(progress_every_s)
            dt = time.monotonic() - t0
            log.info("valores apurados %s %s: %d/%d done, %.0f/s, %d errors", niss_ee, ano_mes, res.done, res.total,
                     res.done / dt if dt else 0.0, len(res.failed))

    prog = asyncio.create_task(progresso())
    try:
        await asyncio.gather(*(trabalhador() for _ in range(max(1, min(concurrency, res.total or 1)))))
    finally:
        prog.cancel()
    res.seconds = time.monotonic() - t0
    log.info("valores apurados %s %s: %d/%d fetched in %.1f s, %d failed", niss_ee, ano_mes, res.done, res.total,
             res.seconds, len(res.failed))
    return res


def fetch_valores_apurados_sync(client_factory: Callable[[], object], niss_ee: str, ano_mes: str,
                                niss_trabalhadores: Iterable[str], sink, **kw) -> BulkResult:
    """For a sync caller (an Airflow task): runs the bulk fetch in its own event loop. ``client_factory()``
    builds an ``AsyncPsiClient`` inside that loop; it is closed afterwards."""

    async def main():
        client = client_factory()
        try:
            return await fetch_valores_apurados(client, niss_ee, ano_mes, niss_trabalhadores, sink, **kw)
        finally:
            await client.aclose()

    return asyncio.run(main())


class BatchingSink:
    """A sink that hands each document to a writer thread which commits in small batches (every ``max_delay``
    seconds or ``max_batch`` documents), so the event loop never blocks on the database and a crash loses at
    most the last fraction of a second. ``close()`` flushes and re-raises a writer error."""

    def __init__(self, write_batch: Callable[[list[tuple[str, dict]]], None], *, max_batch: int = 200,
                 max_delay: float = 0.2):
        self._write = write_batch
        self._q: queue.Queue = queue.Queue()
        self._max_batch, self._max_delay = max_batch, max_delay
        self._erro: BaseException | None = None
        self.escritos = 0
        self._t = threading.Thread(target=self._run, name="batching-sink", daemon=True)
        self._t.start()

    def __call__(self, niss: str, doc: dict) -> None:
        if self._erro:
            raise RuntimeError("the sink's writer failed") from self._erro
        self._q.put((niss, doc))

    def _run(self):
        fim = False
        while not fim:
            lote = []
            try:
                item = self._q.get()
                if item is None:
                    break
                lote.append(item)
                limite = time.monotonic() + self._max_delay
                while len(lote) < self._max_batch:
                    espera = limite - time.monotonic()
                    if espera <= 0:
                        break
                    try:
                        item = self._q.get(timeout=espera)
                    except queue.Empty:
                        break
                    if item is None:
                        fim = True
                        break
                    lote.append(item)
                self._write(lote)
                self.escritos += len(lote)
            except BaseException as exc:  # noqa: BLE001 - surfaced by close()
                self._erro = exc
                return

    def close(self) -> None:
        self._q.put(None)
        self._t.join()
        if self._erro:
            raise RuntimeError(f"writing fetched documents failed: {self._erro}") from self._erro

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
