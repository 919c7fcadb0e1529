"""Test-wide set-up.

* Every test session gets an isolated Airflow home (a temp dir, no examples, this repo's dags/ and plugins/),
  set *before* anything imports Airflow. The metadata schema is created once per session, lazily, by the
  ``airflow_db`` fixture (only DAG tests pay for it).
* ``sandbox``: the PSI sandbox as a real process on a free loopback port (real HTTP), reset to its default
  seed data before each test that uses it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ciclo-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
# plugins/ is on sys.path for Airflow's own processes; make it importable for tests too.
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db(airflow_home):
    """Create Airflow's metadata schema once per test session."""
    from airflow.utils import db

    db.resetdb()
    yield


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


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    sb = SandboxProcess(tmp_path_factory.mktemp("sandbox") / "state.sqlite3").start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(sandbox_process):
    """The running sandbox, reset to its default seed data (faults cleared, log emptied)."""
    sandbox_process.reset()
    yield sandbox_process


pytest_plugins = ["tests.ledger_fixtures"]
