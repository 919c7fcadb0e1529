"""Bulk fetch of the valores apurados per worker.

A fixed pool of ``concurrency`` worker coroutines pulls NISS from a queue (memory stays flat whatever the
number of workers), sharing one async client (one connection pool), optionally under a requests-per-second
limit (aiolimiter). Each document is handed to the sink as it arrives; per-worker failures (after the client's
GET retries) are collected and reported at the end instead of failing the batch. Progress is logged every few
seconds (done / total / rate / errors).

A failure of the *sink* (the ledger cannot store a document) is not a per-worker failure: it stops the batch
and is raised, since carrying on would fetch documents that cannot be kept.

From a sync caller (an Airflow task)::

    from ciclo.psi.bulk import BatchingSink, fetch_valores_apurados_sync

    with BatchingSink(write_batch) as sink:            # write_batch(list[(niss, doc)]) commits in a thread
        res = fetch_valores_apurados_sync(hook.get_async_client, niss_ee, ano_mes, nisses, sink,
                                          concurrency=hook.concurrency, rate_per_second=hook.rate_per_second)
    if res.failed: ...                                  # {niss: reason}; fetched ones are already stored
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ciclo.psi import errors as E

if TYPE_CHECKING:
    from ciclo.psi.rest import AsyncPsiClient

log = logging.getLogger(__name__)

# sink(niss, doc): doc is the JSON as received (dict) or, with como_modelo=True, a ValoresApuradosTrabalhador
Sink = Callable[[str, Any], Awaitable[None] | None]


class FilaPartilhada:
    """The workers of one fetch, shared with share processes that become ready later (thread-safe): the fetch
    takes from the front (``tirar``), a share process that is ready takes part of what is left from the back
    (``ceder``). Distinct NISS, in the order given. ``fetch_valores_apurados`` accepts one instead of a list."""

    def __init__(self, nisses: Iterable[str]):
        self._d: collections.deque[str] = collections.deque(dict.fromkeys(str(n).strip() for n in nisses))
        self._trava = threading.Lock()

    def __len__(self) -> int:
        return len(self._d)

    def tirar(self) -> str | None:
        with self._trava:
            return self._d.popleft() if self._d else None

    def ceder(self, partes: int, de: int) -> list[list[str]]:
        """``partes`` lists, each ``1/de`` of what is left (the last ones), taken out of the queue: for ``partes``
        processes that join the ``de - partes`` fetching already."""
        with self._trava:
            n = len(self._d) // de
            fora = [[self._d.pop() for _ in range(n)][::-1] for _ in range(partes)]
        return fora


@dataclass
class BulkResult:
    total: int
    done: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


async def fetch_valores_apurados(client: AsyncPsiClient, niss_ee: str, ano_mes: str, niss_trabalhadores: Iterable[str],
                                 sink: Sink,
                                 *, concurrency: int = 32, rate_per_second: float | None = None,
                                 progress_every_s: float = 5.0, como_modelo: bool = False) -> BulkResult:
    """Fetch every worker's valores apurados into ``sink(niss, doc)`` (sync or async callable), ``doc`` being the
    JSON as received (a dict, amounts ``Decimal``, already checked against ``ValoresApuradosTrabalhador``).

    Each distinct NISS is requested once (duplicates in the input are dropped). A worker the SS answers
    ``200 []`` for (nothing apurado) and a worker whose GET still fails after the client's retries end up in
    ``failed`` with the reason; the others are unaffected. ``como_modelo=True`` hands the sink a
    ``ValoresApuradosTrabalhador`` instead of the dict. ``client`` is an ``AsyncPsiClient`` (not closed here);
    size its ``max_connections`` to ``concurrency``.
    """
    # a NISS given as an int (as in the obrigação list) has its 11 digits; never pad (FilaPartilhada normalises)
    partilhada = isinstance(niss_trabalhadores, FilaPartilhada)
    fila = niss_trabalhadores if partilhada else FilaPartilhada(niss_trabalhadores)
    # a queue shared with share processes (which take part of it once ready) is counted as taken; one of its own
    # is known whole from the start
    res = BulkResult(total=0 if partilhada else len(fila))
    largura = concurrency if partilhada else min(concurrency, res.total or 1)

    def proximo() -> str | None:
        niss = fila.tirar()
        if partilhada and niss is not None:
            res.total += 1
        return niss

    if (conexoes := getattr(client, "max_connections", None)) and conexoes < concurrency:
        log.warning("bulk fetch with concurrency %d over a client of %d connections: requests will queue for a "
                    "connection; build the client with max_connections=%d", concurrency, conexoes, concurrency)
    limiter = None
    if rate_per_second:
        from aiolimiter import AsyncLimiter

        limiter = AsyncLimiter(rate_per_second, 1.0)
    t0 = time.monotonic()

    obter = client.valores_apurados_trabalhador if como_modelo else client.valores_apurados_trabalhador_json

    async def um(niss: str):
        if limiter:
            async with limiter:
                return await obter(niss_ee, ano_mes, niss)
        return await obter(niss_ee, ano_mes, niss)

    async def trabalhador():
        while True:
            niss = proximo()
            if niss is None:
                return
            try:
                doc = await um(niss)
            except E.PsiError as exc:
                res.failed[niss] = str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one worker's unexpected failure must not sink the batch
                log.warning("valores apurados %s %s: unexpected %s for worker %s", niss_ee, ano_mes,
                            type(exc).__name__, niss, exc_info=True)
                res.failed[niss] = f"unexpected {type(exc).__name__}"
                continue
            if doc is None:
                res.failed[niss] = "no valores apurados for this worker (the SS answered 200 [])"
                continue
            r = sink(niss, doc)  # a sink error stops the batch (see the module docstring)
            if inspect.isawaitable(r):
                await r
            res.done += 1

    async def progresso():
        while True:
            await asyncio.sleep(progress_every_s)
            dt = time.monotonic() - t0
            log.info("valores apurados %s %s: %d/%d done, %.0f/s, %d errors", niss_ee, ano_mes, res.done, res.total,
                     res.done / dt if dt else 0.0, len(res.failed))

    prog = asyncio.create_task(progresso())
    tarefas = [asyncio.create_task(trabalhador()) for _ in range(max(1, largura))]
    try:
        await asyncio.gather(*tarefas)
    except BaseException:
        for t in tarefas:
            t.cancel()
        await asyncio.gather(*tarefas, return_exceptions=True)
        raise
    finally:
        prog.cancel()
    res.seconds = time.monotonic() - t0
    log.info("valores apurados %s %s: %d/%d fetched in %.1f s, %d failed", niss_ee, ano_mes, res.done, res.total,
             res.seconds, len(res.failed))
    return res


def fetch_valores_apurados_sync(client_factory: Callable[[], AsyncPsiClient], niss_ee: str, ano_mes: str,
                                niss_trabalhadores: Iterable[str], sink: Sink, *, travas_rapidas: bool = False,
                                **kw) -> BulkResult:
    """For a sync caller (an Airflow task): runs the bulk fetch in its own event loop (in a helper thread if this
    thread already runs one). ``client_factory()`` — e.g. ``PsiHook(...).get_async_client`` — builds an
    ``AsyncPsiClient`` inside that loop; it is closed afterwards. ``travas_rapidas``: httpcore's connection locks
    acquire without an extra yield (``ciclo.psi.httpcore_fast_acquire``) — for a fetch that runs alone in its
    process, not for many at once in threads. Other keyword arguments as ``fetch_valores_apurados``."""

    async def main():
        from ciclo.psi import httpcore_fast_acquire

        with httpcore_fast_acquire.ativas() if travas_rapidas else contextlib.nullcontext():
            client = client_factory()
            try:
                return await fetch_valores_apurados(client, niss_ee, ano_mes, niss_trabalhadores, sink, **kw)
            finally:
                await client.aclose()

    def correr():
        # uvloop: the fetch is bound by the client's CPU per request (docs/BENCHMARKS.md), and uvloop's loop costs
        # less of it than asyncio's
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
            return r.run(main())

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return correr()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="psi-bulk") as ex:
        return ex.submit(correr).result()


class BatchingSink:
    """A sink that hands the documents to a writer thread which commits in small batches (every ``max_delay``
    seconds or ``max_batch`` documents), so the event loop never blocks on the database and a crash loses at
    most the last fraction of a second. ``close()`` flushes and re-raises a writer error.

    The documents wait in a list the writer takes whole: the fetching thread wakes the writer once per full batch
    (and it wakes itself every ``max_delay``), not once per document. A queue handed over one document at a time
    woke the writer thread for each, and every wake-up cost the event loop the GIL: ``Condition.notify`` was 9 %
    of the fetching processes' samples at 10,000 workers (docs/BENCHMARKS.md)."""

    def __init__(self, write_batch: Callable[[list[tuple[str, dict]]], None], *, max_batch: int = 200,
                 max_delay: float = 0.2):
        self._write = write_batch
        self._max_batch, self._max_delay = max(1, max_batch), max_delay
        # bounded: if the writer falls behind, handing over a document waits (back-pressure) instead of
        # piling fetched documents up in memory (at most this many wait, beside the list the writer is writing)
        self._max_pendentes = self._max_batch * 20
        self._cond = threading.Condition(threading.Lock())
        self._pendentes: list[tuple[str, dict]] = []
        self._fim = False
        self._erro: BaseException | None = None
        self.escritos = 0
        self._t = threading.Thread(target=self._run, name="batching-sink", daemon=True)
        self._t.start()

    def __call__(self, niss: str, doc: dict) -> None:
        with self._cond:
            if self._erro:
                raise RuntimeError("the sink's writer failed") from self._erro
            self._pendentes.append((niss, doc))
            n = len(self._pendentes)
            if n == self._max_batch:
                self._cond.notify_all()   # a full batch: the writer need not wait for its timer
            while len(self._pendentes) >= self._max_pendentes and self._erro is None:
                self._cond.wait()         # the writer takes the list (or fails) and wakes this thread
            if self._erro:
                raise RuntimeError("the sink's writer failed") from self._erro

    def _run(self) -> None:
        while True:
            with self._cond:
                if len(self._pendentes) < self._max_batch and not self._fim:
                    self._cond.wait(self._max_delay)
                lote, self._pendentes = self._pendentes, []
                fim = self._fim
                self._cond.notify_all()   # a fetching thread held back by a full list goes on
            try:
                for i in range(0, len(lote), self._max_batch):
                    parte = lote[i:i + self._max_batch]
                    self._write(parte)
                    self.escritos += len(parte)
            except BaseException as exc:  # noqa: BLE001 - surfaced by close() and the next document
                with self._cond:
                    self._erro = exc
                    self._cond.notify_all()
                return
            if fim:
                return   # close() set it under the lock this list was taken with: nothing was added after

    def close(self) -> None:
        with self._cond:
            self._fim = True
            self._cond.notify_all()
        self._t.join()
        if self._erro:
            raise RuntimeError(f"writing fetched documents failed: {self._erro}") from self._erro

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
