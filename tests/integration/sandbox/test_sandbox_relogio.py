"""The sandbox's one clock (``PUT /_sandbox/config`` ``{"hoje": "AAAA-MM-DD" | null}``) over real HTTP: every date
rule of the sandbox reads it (the cessation's 30 days ahead, the payment documents' validity, the Pedidos' window),
and null, a reset or a bad value leave the real date in Lisbon."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from ciclo.psi import vinculos as V
from ciclo.psi.auth import Credenciais
from ciclo.psi.models.vinculos import CessacaoVinculo

EE, TRAB, PWD = "20000003116", "10000000001", "sandbox"   # the spec's example EE: 202509 apurado, 556.00 owed
CI = "/ptss/rest/ci/documento-pagamento"


def hoje_lisboa() -> date:
    return datetime.now(ZoneInfo("Europe/Lisbon")).date()


def documentos(c: httpx.Client) -> dict:
    """Request the payment documents and wait for the answer."""
    chave = c.post(f"{CI}/pedido-emissao", json={"ambito": 11}).json()["chave"]
    fim = time.monotonic() + 10
    while time.monotonic() < fim:
        r = json.loads(c.get(f"{CI}/consulta-pedido/{chave}").content, parse_float=Decimal)
        if r["codigoResultado"] != 10:
            return {"chave": chave, **r}
        time.sleep(0.05)
    raise AssertionError("the emission is still processing (10)")


def test_the_clock_is_set_read_refused_when_bad_and_cleared_by_reset(sandbox):
    assert sandbox.admin("GET", "config")["hoje"] is None
    cfg = sandbox.admin("PUT", "config", json={"hoje": "2031-05-10"})
    assert cfg["hoje"] == "2031-05-10" and sandbox.admin("GET", "config") == cfg
    # a bad value changes nothing, not even the keys beside it: not a day, not written AAAA-MM-DD, before the
    # sandbox's rates (2011) or past 2999
    for mau in ("amanhã", "2031-02-30", "20310510", "2031-W19-1", 20310510, True, "2010-12-31", "3000-01-01"):
        with pytest.raises(httpx.HTTPStatusError, match="400"):
            sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 9, "hoje": mau})
    for mau in ("NaN", "Infinity", "-1"):   # JSON as Python parses it admits NaN and Infinity
        with pytest.raises(httpx.HTTPStatusError, match="400"):
            sandbox.admin("PUT", "config", content=f'{{"emissao_delay_seconds": {mau}}}'.encode(),
                          headers={"Content-Type": "application/json"})
    assert sandbox.admin("GET", "config") == cfg
    assert sandbox.admin("PUT", "config", json={"hoje": None})["hoje"] is None
    sandbox.admin("PUT", "config", json={"hoje": "2031-05-10"})
    sandbox.admin("POST", "reset")
    assert sandbox.admin("GET", "config")["hoje"] is None


def test_payment_documents_are_valid_by_the_sandbox_day(sandbox):
    """A document issued today is valid to the end of this month (202509's own limit is past); on a configured day
    after that it has expired (14), and a new request issues one valid to the end of that day's month."""
    with httpx.Client(base_url=sandbox.url, auth=(EE, PWD), timeout=10) as c:
        r = documentos(c)
        [doc] = r["resultado"]
        validade = date.fromisoformat(doc["dataValidade"])
        assert validade >= hoje_lisboa() and validade.month == hoje_lisboa().month
        depois = validade + timedelta(days=40)
        sandbox.admin("PUT", "config", json={"hoje": depois.isoformat()})
        assert c.get(f"{CI}/consulta-pedido/{r['chave']}").json()["codigoResultado"] == 14
        r2 = documentos(c)
        [doc2] = r2["resultado"]
        assert r2["chave"] != r["chave"] and doc2["valor"] == Decimal("556.00")
        assert date.fromisoformat(doc2["dataValidade"]).replace(day=1) == depois.replace(day=1)
        # back to the real date: the new document is still valid (it ends later)
        sandbox.admin("PUT", "config", json={"hoje": None})
        assert c.get(f"{CI}/consulta-pedido/{r2['chave']}").json()["codigoResultado"] == 1


def test_a_confirmation_is_dated_on_the_sandbox_day(sandbox):
    """The confirmation's date is one a rule reads later (the Pedidos' window takes it as the month's declaration
    date): on the configured day, at the real time of day."""
    sandbox.admin("PUT", "config", json={"hoje": "2026-02-10"})
    with httpx.Client(base_url=sandbox.url, auth=(EE, PWD), timeout=10) as c:
        r = c.post(f"/ptss/rest/eeaoc/obrigacao-contributiva/entidade-empregadora/{EE}/confirmar",
                   json={"anoMes": "202509"}).json()
    assert r["confirmado"] is True and r["dataConfirmacao"].startswith("2026-02-10T")
    assert datetime.fromisoformat(r["dataConfirmacao"]).date() == date(2026, 2, 10)


def test_a_cessation_is_judged_30_days_ahead_of_the_sandbox_day(sandbox):
    fim = hoje_lisboa() + timedelta(days=60)
    cessacao = CessacaoVinculo(TRAB, fim, "CCCT", True)
    url = f"{sandbox.url}/ws/contrato/v1/cessarVinculoTrabalhador"
    with V.CessacaoSoapClient(url, Credenciais(EE, password=PWD), timeout=10) as c:
        with pytest.raises(V.CessacaoRecusada):
            c.cessar(cessacao)   # more than 30 days after today
        sandbox.admin("PUT", "config", json={"hoje": (fim - timedelta(days=10)).isoformat()})
        assert c.cessar(cessacao).codigo == 1
