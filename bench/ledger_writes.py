"""The two ways the pipeline writes to the ledger beside its calls to the SS, on a real SQLite ledger (WAL,
synchronous=FULL, as the pipeline opens it):

* **audit rows of many threads** — a lote's employer threads each make a call (``--latency-ms``, a little CPU)
  then audit it (``Auditoria.registar``), ``--calls`` times each. Limit: calls × latency (the threads run at once).
* **the fetch's sink** — one event loop hands ``--docs`` fetched documents to ``BatchingSink`` in waves of 16
  every 10 ms (a share of the fetch at its pace); the writer's commit is a 2 ms sleep. What counts is the CPU the
  hand-over costs (the fetch is bound by the client's CPU per request).

Prints one line per measurement, then one JSON line. ``--repo`` runs another checkout's ``include/`` (A/B).

    .venv/bin/python bench/ledger_writes.py [--threads 50] [--calls 20] [--docs 10000] [--repo /tmp/antes]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path


def auditoria(threads: int, chamadas: int, latencia_s: float) -> dict:
    from ciclo.ledger import Ledger

    with tempfile.TemporaryDirectory() as d:
        lg = Ledger(f"sqlite:///{d}/ledger.sqlite3")

        def fio(t: int) -> None:
            for _ in range(chamadas):
                sum(range(3000))            # the call's own CPU (≈0.05 ms)
                time.sleep(latencia_s)      # its latency
                lg.auditoria.registar("consultarX", "GET", "ok", int(latencia_s * 1000), status=200,
                                      niss_ee=f"{20000000000 + t}", ano_mes="202511")

        c0, t0 = time.process_time(), time.perf_counter()
        fios = [threading.Thread(target=fio, args=(t,)) for t in range(threads)]
        for f in fios:
            f.start()
        for f in fios:
            f.join()
        segundos, cpu = time.perf_counter() - t0, time.process_time() - c0
        linhas = len(lg.auditoria.linhas())
        lg.dispose()
    return {"audit_threads": threads, "audit_rows": linhas, "audit_seconds": round(segundos, 3),
            "audit_limit_seconds": round(chamadas * latencia_s, 3), "audit_cpu_seconds": round(cpu, 3)}


def sink(docs: int) -> dict:
    from ciclo.psi.bulk import BatchingSink

    def escrever(lote):
        time.sleep(0.002)   # a commit (the GIL released, as in SQLite's)

    async def buscar(s) -> None:
        for i in range(0, docs, 16):
            for j in range(i, min(docs, i + 16)):
                s(str(j), {"nissTrabalhador": j})
            await asyncio.sleep(0.01)

    c0, t0 = time.process_time(), time.perf_counter()
    with BatchingSink(escrever, max_batch=250) as s:
        asyncio.run(buscar(s))
    cpu, segundos = time.process_time() - c0, time.perf_counter() - t0
    # the same loop with a sink that does nothing: what the hand-over itself costs is the difference
    c1 = time.process_time()
    asyncio.run(buscar(lambda n, d: None))
    base = time.process_time() - c1
    return {"sink_docs": s.escritos, "sink_seconds": round(segundos, 3),
            "sink_cpu_seconds": round(cpu, 3), "sink_cpu_us_per_doc": round((cpu - base) / docs * 1e6, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=50)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    a = ap.parse_args()
    sys.path.insert(0, str(a.repo.resolve() / "include"))
    r = {"repo": str(a.repo)}
    r.update(auditoria(a.threads, a.calls, a.latency_ms / 1000))
    print(f"audit: {r['audit_rows']} rows from {a.threads} threads in {r['audit_seconds']} s "
          f"(limit {r['audit_limit_seconds']} s), {r['audit_cpu_seconds']} s CPU")
    r.update(sink(a.docs))
    print(f"sink: {r['sink_docs']} documents, {r['sink_cpu_us_per_doc']} µs CPU each to hand over")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
