"""Bulk fetch of valores apurados: how close to the theoretical limit N × latency ÷ concurrency.

Starts the PSI sandbox as a subprocess (temp state), seeds an EE with N workers and runs its apuramento through
the admin API, injects L ms of latency (and optionally a rate of 503s) on the per-worker route, then fetches every
worker with ``ciclo.psi.bulk.fetch_valores_apurados`` (one AsyncPsiClient, one connection pool) into a counting
sink in this process. Prints, last, one JSON line with ``seconds``, ``requests_per_second``, ``theoretical_seconds``,
``efficiency``, ``peak_rss_mb`` (this process), ``errors`` and ``fetched_exactly_once``.

    .venv/bin/python bench/fetch_apurados.py --workers 10000 --latency-ms 50 --concurrency 32 [--error-rate 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sandbox, seed_payload  # noqa: E402

ANO_MES = "202510"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=10000)
    ap.add_argument("--latency-ms", type=float, default=50)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--error-rate", type=float, default=0.0, help="fraction of per-worker GETs answered 503")
    ap.add_argument("--rate-per-second", type=float, default=None)
    ap.add_argument("--shard-size", type=int, default=4,
                    help="connections per httpx pool inside AsyncPsiClient (= concurrency: one single pool)")
    a = ap.parse_args()

    from ciclo.psi.ambientes import resolver
    from ciclo.psi.auth import Credenciais
    from ciclo.psi import httpcore_fast_acquire
    from ciclo.psi.bulk import fetch_valores_apurados
    from ciclo.psi.rest import AsyncPsiClient, RetryPolicy

    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    with Sandbox() as sb:
        ee, trabs, payload = seed_payload(a.workers)
        sb.admin("POST", "seed", json=payload)
        sb.admin("POST", f"apuramento/{ee}/{ANO_MES}")
        faults = [{"method": "GET", "path": "/trabalhador/", "mode": "latency", "latency_ms": a.latency_ms, "jitter_ms": 0}]
        if a.error_rate:
            faults.append({"method": "GET", "path": "/trabalhador/", "mode": "error", "status": 503, "rate": a.error_rate,
                           "retry_after": 0})
        sb.admin("PUT", "faults", json=faults)
        vistos: Counter[str] = Counter()

        def sink(niss, doc):
            vistos[niss] += 1

        async def run():
            retry = RetryPolicy(attempts=8, timeout=120, wait_initial=0.05, wait_max=1.0, wait_jitter=0.05)
            async with AsyncPsiClient(resolver(sb.url), Credenciais(ee, password="sandbox"), retry=retry,
                                      max_connections=a.concurrency, shard_size=a.shard_size) as c:
                return await fetch_valores_apurados(c, ee, ANO_MES, trabs, sink, concurrency=a.concurrency,
                                                    rate_per_second=a.rate_per_second, progress_every_s=5)

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        # one fetch alone in its process, as a large employer's shares run in the DAG: httpcore's locks acquire
        # fast (ciclo.psi.httpcore_fast_acquire; CICLO_HTTPCORE_FAST_ACQUIRE=0 to measure without)
        with httpcore_fast_acquire.ativas():
            res = asyncio.run(run())
        secs = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        carga = os.getloadavg()[0]
        injected = sum(1 for r in sb.admin("GET", "requests", params={"path_contains": "/trabalhador/", "limit": 10 ** 7})
                       if r["status"] == 503)

    theoretical = a.workers * a.latency_ms / 1000 / a.concurrency
    out = {
        "workers": a.workers, "latency_ms": a.latency_ms, "concurrency": a.concurrency, "error_rate": a.error_rate,
        "shard_size": a.shard_size,
        "seconds": round(secs, 3), "requests_per_second": round(a.workers / secs, 1),
        "theoretical_seconds": round(theoretical, 3), "efficiency": round(theoretical / secs, 3) if secs else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "errors": len(res.failed), "injected_503": injected,
        # the fetching process's CPU per request, and the 1-min load average when it ended: on a shared 2-core
        # machine the efficiency depends on what else runs; these two say whether it was the client or the box
        "client_cpu_ms_per_request": round(cpu * 1000 / max(1, a.workers + injected), 3), "loadavg_1m": round(carga, 2),
        "fetched_exactly_once": sorted(vistos) == sorted(trabs) and set(vistos.values()) == {1},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
