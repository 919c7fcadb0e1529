"""The local Airflow (``make airflow``: airflow standalone on SQLite + the sandbox + an SMTP catcher) as the e2e
tests use it: started on a free port in a temp dir, logged in, stopped afterwards."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ciclo_dev.processo import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def airflow_local(tmp_path):
    """``{"url", "home", "sandbox", "token", "h" (auth header), "ano_mes"}`` of a running ``make airflow``."""
    port = free_port()
    home = tmp_path / "af"
    env = {**os.environ, "CICLO_APROVACAO_MIN_MINUTOS": "30"}
    for k in [k for k in env if k.startswith("AIRFLOW__") or k == "AIRFLOW_HOME"]:
        env.pop(k)  # the test session's own Airflow settings must not leak into the standalone
    out = open(tmp_path / "out.txt", "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "airflow_local.py"), "--port", str(port),
                             "--home", str(home)], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        fim = time.monotonic() + 300
        while "Airflow UI" not in (tmp_path / "out.txt").read_text():
            assert proc.poll() is None, (tmp_path / "out.txt").read_text()[-3000:]
            assert time.monotonic() < fim, "make airflow did not come up"
            time.sleep(1)
        texto = (tmp_path / "out.txt").read_text()
        senha = re.search(r"password: (\S+)", texto).group(1)
        url = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{url}/auth/token", json={"username": "admin", "password": senha}, timeout=30).json()["access_token"]
        yield {"url": url, "home": home, "sandbox": re.search(r"PSI sandbox: (http://\S+)", texto).group(1),
               "token": token, "h": {"Authorization": f"Bearer {token}"},
               "ano_mes": re.search(r"ano_mes=(\d{6})", texto).group(1)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()
