"""``make airflow`` comes up (api-server, scheduler, dag-processor, triggerer healthy), prints URL and login, stops."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ciclo_dev.processo import free_port

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_make_airflow_comes_up_answers_health_and_stops(tmp_path):
    port = free_port()
    r = subprocess.run([sys.executable, str(REPO / "scripts" / "airflow_local.py"), "--check", "--port", str(port),
                        "--home", str(tmp_path / "af")], capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert f"Airflow UI: http://127.0.0.1:{port}  login: admin  password: " in r.stdout
    assert "'scheduler': {'status': 'healthy'" in r.stdout and "'triggerer': {'status': 'healthy'" in r.stdout
    with pytest.raises(httpx.TransportError):  # stopped: nothing answers any more
        httpx.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=2)
