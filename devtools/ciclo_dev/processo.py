"""The PSI sandbox as a separate process on loopback (used by the demo, ``make airflow`` and the tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    """A PSI sandbox running as a separate process on loopback."""

    def __init__(self, state: Path, port: int | None = None, extra_env: dict | None = None):
        self.state = state
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.log = state.with_suffix(".log")

    def start(self, timeout: float = 30.0) -> "SandboxProcess":
        import httpx

        env = {**os.environ, **self.extra_env}
        self._logfh = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ciclo.sandbox", "--host", "127.0.0.1", "--port", str(self.port), "--state", str(self.state)],
            stdout=self._logfh, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/_sandbox/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sandbox did not answer within {timeout}s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if getattr(self, "_logfh", None):
            self._logfh.close()

    def admin(self, method: str, path: str, **kwargs):
        """Call the sandbox admin API (``/_sandbox/...``); raises on an error status."""
        import httpx

        r = httpx.request(method, f"{self.url}/_sandbox/{path.lstrip('/')}", timeout=30.0, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def reset(self) -> None:
        self.admin("POST", "reset")
