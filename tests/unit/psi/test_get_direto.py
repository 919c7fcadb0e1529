"""The bulk GET goes straight to the shard's transport, except behind a proxy (which only the client honours)."""

from __future__ import annotations

import pytest

from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.rest import AsyncPsiClient
from tests.unit.psi.test_transporte import sem_proxy  # noqa: F401 - the fixture


def _cliente():
    return AsyncPsiClient(resolver("https://psi.example.pt"), Credenciais("20000000001", password="x"))


@pytest.mark.usefixtures("sem_proxy")
def test_without_a_proxy_gets_use_the_shards_transports():
    c = _cliente()
    assert c._transportes is not None and len(c._transportes) == len(c._shards)
    assert c._cabecalhos["Authorization"].startswith("Basic ") and c._cabecalhos["Accept"] == "application/json"


def test_behind_a_proxy_every_request_goes_through_the_client(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _cliente()._transportes is None and _cliente()._pool11 is None   # no GET around the proxy either
    monkeypatch.setenv("NO_PROXY", "psi.example.pt")
    assert _cliente()._transportes is not None and _cliente()._pool11 is not None
