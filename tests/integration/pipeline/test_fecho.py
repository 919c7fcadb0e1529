"""Confirmation and payment documents against the sandbox: each exactly once, even when retried."""

from decimal import Decimal

import pytest

from ciclo.ledger import Ledger
from ciclo.pipeline.fecho import confirmar, documentos, emitir_documentos, pedido
from ciclo.psi import errors as E
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.rest import PsiClient, RetryPolicy

EE, MES = "20000003116", "202509"


@pytest.fixture
def ctx(sandbox, tmp_path):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.2})
    lg = Ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    c = PsiClient(resolver(sandbox.url), Credenciais(EE, password="sandbox"), retry=RetryPolicy(attempts=3, wait_initial=0.05, wait_max=0.1))
    yield lg, c
    c.close()
    lg.dispose()


def _posts(sandbox, path):
    return sandbox.admin("GET", "requests", params={"method": "POST", "path_contains": path})


def test_emission_retried_after_a_lost_acknowledgement_issues_one_document(sandbox, ctx):
    lg, c = ctx
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "pedido-emissao", "mode": "lost_ack", "times": 1})
    with pytest.raises(E.PsiOutcomeUnknown):
        emitir_documentos(lg, c, EE, MES, poll_seconds=0.1)
    assert pedido(lg, EE, MES)["estado"] == "PENDING"  # recorded before the POST
    r = emitir_documentos(lg, c, EE, MES, poll_seconds=0.1)  # the task's retry
    assert r["estado"] == "sucesso" and len(r["documentos"]) == 1
    assert pedido(lg, EE, MES)["codigo_resultado"] in (10, 11)  # the SS named the existing request: no new emission
    [doc] = documentos(lg, EE, MES)
    assert doc["valor_cent"] == 55600 and doc["entidade_mb"] and doc["referencia_mb"]
    again = emitir_documentos(lg, c, EE, MES, poll_seconds=0.1)
    assert again["ja_emitido"] and len(_posts(sandbox, "pedido-emissao")) == 2
    assert len(c.documentos_pagamento(EE)) == 1


def test_confirmation_is_recorded_once_and_never_repeated(sandbox, ctx):
    lg, c = ctx
    r1 = confirmar(lg, c, EE, MES, "automatica")
    r2 = confirmar(lg, c, EE, MES, "automatica")
    assert r1["estado"] == r2["estado"] == "CONFIRMADO" and r2["ja_confirmado"]
    assert len(_posts(sandbox, "/confirmar")) == 1
