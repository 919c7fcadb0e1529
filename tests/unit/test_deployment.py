"""The production compose file validates against the Compose specification and pins the Airflow version."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _pin(name: str) -> str:
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line.lower().startswith(name + "=="):
            return line.split("==")[1].strip()
    raise AssertionError(f"{name} not pinned in requirements.txt")


def test_compose_file_validates_against_the_compose_spec():
    exe = Path(sys.executable).with_name("check-jsonschema")
    r = subprocess.run([str(exe), "--builtin-schema", "vendor.compose-spec", str(REPO / "docker-compose.yaml")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_airflow_service_uses_the_pinned_image():
    airflow = _pin("apache-airflow")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(rf"^FROM apache/airflow:{re.escape(airflow)}-python3\.11$", dockerfile, re.M)
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text())
    services = compose["services"]
    airflow_services = [n for n in services if n.startswith("airflow-")]
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker",
            "airflow-init"} <= set(airflow_services)
    for name in airflow_services + ["psi-sandbox"]:
        image = services[name]["image"]
        assert image.endswith(f"ciclo-airflow:{airflow}}}") or image == f"ciclo-airflow:{airflow}", (name, image)
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "ciclo_ledger" in env["AIRFLOW_CONN_CICLO_LEDGER"] and "/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    for name in ["postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-worker", "airflow-triggerer"]:
        assert "healthcheck" in services[name], name
    assert services["psi-sandbox"]["profiles"] == ["sandbox"] and services["mailpit"]["profiles"] == ["dev"]


def test_no_secret_in_compose_or_env_example():
    text = (REPO / "docker-compose.yaml").read_text()
    assert "POSTGRES_PASSWORD:?" in text and "AIRFLOW_FERNET_KEY:?" in text
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^AIRFLOW_FERNET_KEY=$", example, re.M) and re.search(r"^AIRFLOW_JWT_SECRET=$", example, re.M)
