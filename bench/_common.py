"""Shared by the benchmarks: a PSI sandbox subprocess on a free loopback port, and a bulk seed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sandbox:
    """``with Sandbox() as sb: sb.url ...`` — started with a temp state file, stopped on exit."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))

    def __enter__(self):
        self._log = open(self.tmp / "sandbox.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "ciclo.sandbox", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--state", str(self.tmp / "state.sqlite3"), "--log-level", "warning"],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=os.environ.copy())
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/_sandbox/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__()
                raise SystemExit("sandbox did not start: " + (self.tmp / "sandbox.log").read_text()[-2000:])
            time.sleep(0.1)

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()

    def admin(self, method: str, path: str, **kw):
        r = httpx.request(method, f"{self.url}/_sandbox/{path}", timeout=300, **kw)
        r.raise_for_status()
        return r.json() if r.content else None


def seed_payload(n: int) -> tuple[str, list[str], dict]:
    """One EE (password ``sandbox``) with ``n`` full-time Regime geral workers with valid NISS."""
    from ciclo.domain.niss import completar

    ee = completar("2990000001")
    trabs = [completar(f"19{i:08d}") for i in range(1, n + 1)]
    payload = {"entidades": [{"niss": ee, "nome": "Bench", "password": "sandbox", "trabalhadores": [
        {"niss-trabalhador": t, "enquadramento": "REGIME_GERAL", "inicio-vinculo": "2020-01-01",
         "modalidade-contrato": "A", "prestacao-trabalho": "P", "inicio-contrato": "2020-01-01",
         "profissao": "41101", "remuneracao-base": 1000 + i % 2000, "diuturnidades": 0}
        for i, t in enumerate(trabs)]}]}
    return ee, trabs, payload
