"""The bulk GET goes straight to the shard's transport, except behind a proxy (which only the client honours)."""

from __future__ import annotations

from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.rest import AsyncPsiClient


def _cliente():
    return AsyncPsiClient(resolver("https://psi.example.pt"), Credenciais("20000000001", password="x"))


def test_without_a_proxy_gets_use_the_shards_transports(monkeypatch):
    for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(v, raising=False)
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
