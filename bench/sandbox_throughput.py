"""PSI sandbox throughput: per-worker valores apurados GETs per second.

Starts the sandbox as a subprocess on a free loopback port (temp state file), seeds an EE with N workers,
runs its apuramento through the admin API, then hammers
``GET /ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/{am}/trabalhador/{niss}``
from an async httpx client in a *separate process* (both processes share the machine's cores) for
``--seconds`` with ``--concurrency`` connections. Prints, last, one JSON line
``{"requests", "seconds", "requests_per_second", "errors"}``.

    .venv/bin/python bench/sandbox_throughput.py [--workers 2000] [--seconds 10] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Sandbox, seed_payload  # noqa: E402

ANO_MES = "202510"


def _client(url: str, ee: str, trabs: list[str], seconds: float, concurrency: int, q) -> None:
    async def run():
        fim = time.perf_counter() + seconds
        ok = err = 0
        # One AsyncClient (one keep-alive connection) per concurrent worker: httpcore's shared pool scans every
        # connection for every request, which makes a single 32-connection pool the bottleneck, not the server.
        async def worker(k: int):
            nonlocal ok, err
            i = k
            limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
            async with httpx.AsyncClient(base_url=url, auth=(ee, "sandbox"), limits=limits, timeout=10.0) as c:
                while time.perf_counter() < fim:
                    t = trabs[i % len(trabs)]
                    i += concurrency
                    try:
                        r = await c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{ee}/ano-mes/{ANO_MES}/trabalhador/{t}")
                        if r.status_code == 200 and r.content[:1] == b"{":
                            ok += 1
                        else:
                            err += 1
                    except httpx.HTTPError:
                        err += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return ok, err, time.perf_counter() - t0

    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    q.put(asyncio.run(run()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=32)
    a = ap.parse_args()

    with Sandbox() as sb:
        url = sb.url
        ee, trabs, payload = seed_payload(a.workers)
        t0 = time.perf_counter()
        httpx.post(f"{url}/_sandbox/seed", json=payload, timeout=60).raise_for_status()
        t1 = time.perf_counter()
        m = httpx.post(f"{url}/_sandbox/apuramento/{ee}/{ANO_MES}", timeout=120).json()
        t2 = time.perf_counter()
        print(f"seed {a.workers} workers: {t1 - t0:.2f}s; apuramento: {t2 - t1:.2f}s ({m['estado']}, {m['numeroTrabalhadores']} workers)",
              file=sys.stderr)
        q = mp.get_context("spawn").Queue()
        cp = mp.get_context("spawn").Process(target=_client, args=(url, ee, trabs, a.seconds, a.concurrency, q))
        cp.start()
        ok, err, secs = q.get(timeout=a.seconds + 120)
        cp.join(10)
        total = ok + err
        print(json.dumps({"requests": total, "seconds": round(secs, 3),
                          "requests_per_second": round(total / secs, 1), "errors": err}))


if __name__ == "__main__":
    main()
