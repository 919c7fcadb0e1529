"""PSI sandbox: injected faults (latency, 503/429/500, hang, lost acknowledgement, times) and restart safety."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import SandboxProcess

EE = "20000003116"
TRAB = "10000000001"
AUTH = (EE, "sandbox")
APURADO = f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202509/trabalhador/{TRAB}"
ENVIO = f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}"
BODY = {"anoMes": "202510", "trabalhadores": [{"nissTrabalhador": TRAB, "remuneracoes": [
    {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "R", "remuneracao": 100.50, "diasTrabalho": 21}]}]}


def test_latency_fault_is_measured_and_scoped(sandbox):
    sandbox.admin("PUT", "faults", json={"faults": [{"method": "GET", "path": r"/trabalhador/\d+$", "mode": "latency",
                                                     "latency_ms": 300, "jitter_ms": 100}]})
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as c:
        t0 = time.perf_counter()
        assert c.get(APURADO).status_code == 200
        took = time.perf_counter() - t0
        assert 0.3 <= took < 1.5, took
        t0 = time.perf_counter()
        c.get(f"/ptss/rest/eeaoc/avisos/{EE}")  # not matched
        assert time.perf_counter() - t0 < 0.25
    f = sandbox.admin("GET", "faults")["faults"]
    assert len(f) == 1 and f[0]["latency_ms"] == 300
    sandbox.admin("DELETE", "faults")
    assert sandbox.admin("GET", "faults") == {"faults": []}


@pytest.mark.parametrize("status", [503, 429, 500])
def test_error_faults_with_retry_after(sandbox, status):
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "valores-remuneracao", "mode": "error", "status": status,
                                         "retry_after": 7, "times": 2})
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as c:
        for _ in range(2):
            r = c.post(ENVIO, json=BODY)
            assert r.status_code == status
            assert r.json()["code"] == status
            if status in (429, 503):
                assert r.headers["Retry-After"] == "7"
            else:
                assert "Retry-After" not in r.headers
        assert sandbox.admin("GET", "submissions") == []  # not processed
        r = c.post(ENVIO, json=BODY)  # `times` exhausted
        assert r.status_code == 200
    assert len(sandbox.admin("GET", "submissions")) == 1
    assert sandbox.admin("GET", "faults") == {"faults": []}


def test_error_rate_is_probabilistic(sandbox):
    sandbox.admin("PUT", "faults", json=[{"path": "avisos", "mode": "error", "status": 503, "rate": 0.5}])
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as c:
        codes = [c.get(f"/ptss/rest/eeaoc/avisos/{EE}").status_code for _ in range(60)]
    assert 5 < codes.count(503) < 55 and codes.count(200) == 60 - codes.count(503)


def test_hang_makes_client_time_out(sandbox):
    sandbox.admin("PUT", "faults", json={"path": "avisos", "mode": "hang"})
    assert sandbox.admin("GET", "faults")["faults"][0]["hang_seconds"] == 120
    with httpx.Client(base_url=sandbox.url, auth=AUTH, timeout=0.5) as c:
        t0 = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            c.get(f"/ptss/rest/eeaoc/avisos/{EE}")
        assert time.perf_counter() - t0 < 2
    assert httpx.get(f"{sandbox.url}/_sandbox/health").status_code == 200  # admin never faulted


def test_lost_ack_commits_but_client_sees_transport_error(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "^/ptss/rest/eeaoc/valores-remuneracao/", "mode": "lost_ack", "times": 1})
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as c:
        with pytest.raises(httpx.TransportError) as ei:
            c.post(ENVIO, json=BODY)
        assert isinstance(ei.value, httpx.RemoteProtocolError)
    subs = sandbox.admin("GET", "submissions")
    assert len(subs) == 1 and subs[0]["anoMes"] == "202510"  # the submission IS recorded
    with httpx.Client(base_url=sandbox.url, auth=AUTH) as c:
        lst = c.get(f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}/comprovativo").json()
        assert [x["comprovativoEntrega"] for x in lst] == [subs[0]["comprovativoEntrega"]]
        assert c.post(ENVIO, json=BODY).status_code == 200  # times=1: next one is fine


def test_fault_validation(sandbox):
    r = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"mode": "error", "status": 404})
    assert r.status_code == 400
    r = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"mode": "explode"})
    assert r.status_code == 400
    r = httpx.put(f"{sandbox.url}/_sandbox/faults", json={"path": "([", "mode": "latency"})
    assert r.status_code == 400


def test_restart_keeps_state_and_runs_due_apuramentos(tmp_path):
    sb = SandboxProcess(tmp_path / "state.sqlite3").start()
    try:
        sb.admin("PUT", "config", json={"apuramento_delay_seconds": 1.5, "emissao_delay_seconds": 0})
        tok = sb.admin("POST", "token", json={"niss": EE})["access_token"]
        with httpx.Client(base_url=sb.url, auth=AUTH) as c:
            comp = c.post(ENVIO, json=BODY).json()["comprovativoEntrega"]
            chave = c.post("/ptss/rest/ci/documento-pagamento/pedido-emissao", json={"ambito": 11}).json()["chave"]
            assert c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/202510").json()["estado"] == "EM_APURAMENTO"
    finally:
        sb.stop()  # before the apuramento is due
    sb2 = SandboxProcess(tmp_path / "state.sqlite3").start()
    try:
        with httpx.Client(base_url=sb2.url, headers={"Authorization": f"Bearer {tok}"}) as c:  # JWT secret persisted
            base = f"/ptss/rest/eeaoc/valores-comunicados/entidade-empregadora/{EE}"
            assert c.get(f"{base}/comprovativo/{comp}").status_code == 200
            fim = time.monotonic() + 8
            while c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/mensal/ano-mes/202510").json()["estado"] != "APURADO":
                assert time.monotonic() < fim, "due apuramento not run after restart"
                time.sleep(0.1)
            w = c.get(f"/ptss/rest/eeaoc/valores-apurados/entidade-empregadora/{EE}/ano-mes/202510/trabalhador/{TRAB}").json()
            assert w["totalRemuneracao"] == 1700.5
            assert c.get(APURADO).json()["totalObrigacao"] == 556  # seeded data still there
            assert c.get(f"/ptss/rest/ci/documento-pagamento/consulta-pedido/{chave}").json()["codigoResultado"] == 1
        assert sb2.admin("GET", "config")["apuramento_delay_seconds"] == 1.5
        assert len(sb2.admin("GET", "submissions")) == 1
    finally:
        sb2.stop()
    import sqlite3
    assert sqlite3.connect(tmp_path / "state.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
