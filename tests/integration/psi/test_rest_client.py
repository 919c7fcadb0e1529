"""The PSI REST clients against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

import httpx
import pytest

from ciclo.psi import errors as E
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.bulk import BatchingSink, fetch_valores_apurados, fetch_valores_apurados_sync
from ciclo.psi.documentos import obter_documentos
from ciclo.psi.rest import AsyncPsiClient, PsiClient, RetryPolicy

EE, W, MES = "20000003116", "10000000001", "202509"
EE_IND = "20000000108"  # another default employer, nothing apurado
RAPIDO = RetryPolicy(attempts=5, timeout=20, wait_initial=0.05, wait_max=0.3, wait_jitter=0.05)


def cliente(sb, niss=EE, password="sandbox", token=None, **kw):
    cred = Credenciais(niss, password=None if token else password, token=token)
    return PsiClient(resolver(sb.url), cred, retry=kw.pop("retry", RAPIDO), **kw)


def payload(niss=W, valor="120.00"):
    return {"anoMes": "202510", "trabalhadores": [{"nissTrabalhador": niss, "remuneracoes": [
        {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "R", "remuneracao": Decimal(valor), "diasTrabalho": 22}],
        "inatividades": []}]}


def posts(sb, path_contains):
    return [r for r in sb.admin("GET", "requests", params={"method": "POST", "path_contains": path_contains})]


def test_worked_example_and_every_read_operation(sandbox):
    with cliente(sandbox) as c:
        v = c.valores_apurados_trabalhador(EE, MES, W)
        assert (v.totalRemuneracao, v.totalObrigacao) == (Decimal("1600"), Decimal("556"))
        assert v.contribuicoes[0].taxaContribuicao == Decimal("23.75") and v.contribuicoes[0].valorCotizacao == Decimal("176")
        assert {d.tipo for d in v.detalhesContribuicao} == {"Contribuicao", "Cotizacao"}
        assert c.valores_apurados_trabalhador(EE, MES, "12345678910") is None  # nothing → 200 []
        assert c.valores_apurados_mensal(EE, MES).estado == "APURADO"
        assert any(m.anoMes == MES for m in c.valores_apurados_anual(EE, 2025))
        assert [o.nissTrabalhador for o in c.obrigacao_trabalhadores(EE, MES)] == [int(W)]
        assert c.niss_obrigacao_trabalhadores(EE, MES) == [W]   # the same list, the NISS only, as text
        assert isinstance(c.avisos(EE), list)
        assert c.comprovativos(EE) == [] and c.alertas(EE) == []
        pp = c.valores_comunicados_por_processar(EE)
        assert pp.semAlertas == [] and pp.comAlertas == []


def test_send_then_comprovativo_alerts_apuramento_confirm(sandbox):
    sandbox.admin("PUT", "config", json={"apuramento_delay_seconds": 0.5})
    with cliente(sandbox) as c:
        comp = c.enviar_valores_remuneracao(EE, {**payload(), "trabalhadores": payload()["trabalhadores"] + [
            {"nissTrabalhador": "12345678910", "remuneracoes": [{"dataInicio": "2025-10-01", "dataFim": "2025-10-31",
             "natureza": "B", "remuneracao": Decimal("50.00"), "diasTrabalho": 0}], "inatividades": []}]}).comprovativoEntrega
        assert comp in c.valores_comunicados_por_processar(EE, estado="EM_PROCESSAMENTO").semAlertas + \
            c.valores_comunicados_por_processar(EE, estado="EM_PROCESSAMENTO").comAlertas
        detalhe = c.comprovativo(EE, comp)
        assert detalhe.anoMes == "202510" and len(detalhe.trabalhadores) == 2
        assert detalhe.trabalhadores[0]["remuneracoes"][0]["remuneracao"] == 120  # echoed as sent
        deadline = time.monotonic() + 10
        while c.valores_apurados_mensal(EE, "202510").estado != "APURADO" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.valores_apurados_mensal(EE, "202510").estado == "APURADO"
        assert [a.codigo for a in c.alertas(EE, ano_mes="202510")] == ["SEM_VINCULO"]
        v = c.valores_apurados_trabalhador(EE, "202510", W)
        assert {r.natureza: r.remuneracao for r in v.remuneracoes} == {"P": Decimal("1600.00"), "R": Decimal("120.00")}
        conf = c.confirmar(EE, "202510")
        assert conf.confirmado and not conf.jaConfirmado
        assert c.confirmar(EE, "202510").jaConfirmado


def test_payment_documents_flow(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0.2})
    with cliente(sandbox) as c:
        p = c.pedir_emissao_documentos()
        assert p.codigoResultado == 1
        assert c.pedir_emissao_documentos().codigoResultado in (10, 11)  # never a second emission
        deadline = time.monotonic() + 10
        while (r := c.consultar_pedido_emissao(p.chave)).em_processamento and time.monotonic() < deadline:
            time.sleep(0.1)
        assert r.codigoResultado == 1
        [doc] = r.resultado
        assert doc.valor == Decimal("556.00") and doc.multibanco_disponivel and not doc.debito_direto
        assert doc.referenciaDocumentoPagamento.pagamentoTransferenciaBancaria.swift
        assert doc.model_extra["anoMes"] == MES  # unknown (sandbox-only) field kept
        assert c.documentos_pagamento() == [doc]
        assert c.pedir_emissao_documentos().codigoResultado == 11
        assert c.comprovativos_pagamento(2026) == []  # codigoResultado "4" with HTTP 400: no results, not an error
        cancelado = c.cancelar_documento(str(doc.numeroDocumentoPagamento))
        assert cancelado.cancelado
        again = c.cancelar_documento(str(doc.numeroDocumentoPagamento))
        assert not again.cancelado and again.codigoResultado == 17
        assert c.documentos_pagamento() == []  # codigoResultado 4 with HTTP 400
        with pytest.raises(E.PsiValidationError, match="codigoResultado 17|inválido"):
            c.cancelar_documento("abc")


@pytest.mark.parametrize("caso,erro,texto", [
    ("ano_mes", E.PsiValidationError, "Ano/mês não cumpre os requisitos da estrutura definida YYYYMM"),
    ("niss_ee", E.PsiValidationError, "NISS entidade empregadora com formato inválido."),
    ("niss_t", E.PsiValidationError, "NISS trabalhador com formato inválido."),
    ("password", E.PsiAuthError, "credentials rejected for NISS 20000003116"),
    ("outra_ee", E.PsiForbiddenError, "NISS 20000003116 is not authorised for consultarValoresApuradosTrabalhador on employer 20000000108 — ask suporte-psi"),
])
def test_error_classes_and_messages(sandbox, caso, erro, texto):
    args = {"ano_mes": (EE, "2024111", W), "niss_ee": ("2000000311", MES, W), "niss_t": (EE, MES, "1000000000"),
            "password": (EE, MES, W), "outra_ee": ("20000000108", MES, W)}[caso]
    with cliente(sandbox, password="errada" if caso == "password" else "sandbox") as c:
        with pytest.raises(erro) as ei:
            c.valores_apurados_trabalhador(*args)
    assert texto in str(ei.value)
    if erro is E.PsiValidationError:
        assert ei.value.parametro in ("ano-mes", "niss-ee", "niss-trabalhador")
    assert len(sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/"})) == 1  # no retry on 4xx


def test_bearer_token_and_expired_token(sandbox):
    token = sandbox.admin("POST", "token", json={"niss": EE})["access_token"]
    with cliente(sandbox, token=token) as c:
        assert c.valores_apurados_trabalhador(EE, MES, W).totalObrigacao == Decimal("556")
    expirado = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": -10})["access_token"]
    with cliente(sandbox, token=expirado) as c, pytest.raises(E.PsiAuthError):
        c.avisos(EE)


def test_get_retries_on_503_then_succeeds_honouring_retry_after(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/trabalhador/", "mode": "error", "status": 503,
                                          "retry_after": 1, "times": 2})
    t0 = time.monotonic()
    with cliente(sandbox) as c:
        assert c.valores_apurados_trabalhador(EE, MES, W) is not None
    assert time.monotonic() - t0 >= 1.9  # two Retry-After: 1 waits
    assert len(sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/"})) == 3


def test_get_retries_on_429_and_gives_up_bounded(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/avisos/", "mode": "error", "status": 429, "retry_after": 0})
    with cliente(sandbox) as c, pytest.raises(E.PsiRetryableError, match="HTTP 429"):
        c.avisos(EE)
    assert len(sandbox.admin("GET", "requests", params={"path_contains": "/avisos/"})) == RAPIDO.attempts


def test_hang_times_out_then_recovers(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/avisos/", "mode": "hang", "hang_seconds": 5, "times": 1})
    with cliente(sandbox, timeout=0.5) as c:
        assert isinstance(c.avisos(EE), list)  # first attempt times out, the retry succeeds


def test_post_is_never_retried_and_5xx_is_outcome_unknown(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "valores-remuneracao", "mode": "error", "status": 503})
    with cliente(sandbox) as c, pytest.raises(E.PsiOutcomeUnknown):
        c.enviar_valores_remuneracao(EE, payload())
    assert len(posts(sandbox, "valores-remuneracao")) == 1


def test_lost_acknowledgement_is_outcome_unknown_and_was_recorded(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "valores-remuneracao", "mode": "lost_ack", "times": 1})
    with cliente(sandbox) as c:
        with pytest.raises(E.PsiOutcomeUnknown, match="no complete answer"):
            c.enviar_valores_remuneracao(EE, payload())
        assert len(c.comprovativos(EE, ano_mes="202510")) == 1  # the SS did record it
    assert len(posts(sandbox, "valores-remuneracao")) == 1


def test_connection_refused_is_retryable_nothing_sent():
    c = PsiClient(resolver("http://127.0.0.1:9"), Credenciais(EE, password="x"), retry=RetryPolicy(attempts=1))
    with c, pytest.raises(E.PsiRetryableError, match="nothing was sent"):
        c.enviar_valores_remuneracao(EE, payload())


@pytest.fixture
def debug_logs(caplog):
    antes = {lg: logging.getLogger(lg).level for lg in ("httpx", "httpcore", "ciclo")}
    caplog.set_level(logging.DEBUG)
    for lg in antes:
        logging.getLogger(lg).setLevel(logging.DEBUG)
    yield caplog
    for lg, nivel in antes.items():
        logging.getLogger(lg).setLevel(nivel)


def test_no_secret_in_logs_or_errors(sandbox, debug_logs, capfd):
    caplog = debug_logs
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/trabalhador/", "mode": "error", "status": 503,
                                          "retry_after": 0, "times": 1})  # a retry, so stamina logs too
    token = sandbox.admin("POST", "token", json={"niss": EE})["access_token"]
    basic = Credenciais(EE, password="sandbox").authorization().split()[1]
    erros = []
    with cliente(sandbox) as c:
        c.valores_apurados_trabalhador(EE, MES, W)
        c.enviar_valores_remuneracao(EE, payload(valor="987.65"))
        try:
            cliente(sandbox, password="sandbox-errada").avisos(EE)
        except E.PsiError as exc:
            erros.append(str(exc))
    with cliente(sandbox, token=token) as c:
        c.avisos(EE)
    saida = capfd.readouterr()  # stamina/structlog write to stdout/stderr, not to caplog
    texto = caplog.text + "\n".join(erros) + repr(c) + repr(c.credenciais) + saida.out + saida.err
    assert "retry" in texto and "HTTP/1.1 503" in caplog.text
    assert "HTTP Request" in caplog.text or "PSI " in caplog.text  # logging really was captured
    for segredo in ("sandbox-errada", basic, token, "Authorization", "987.65"):
        assert segredo not in texto


def test_async_bulk_fetch_with_10pct_503_fetches_each_worker_exactly_once(sandbox):
    ee = "20000000108"
    lista = [str(o.nissTrabalhador) for o in cliente(sandbox, niss=ee).obrigacao_trabalhadores(ee, "202510")] or None
    if lista is None:
        sandbox.admin("POST", f"apuramento/{ee}/202510")
        lista = [str(o.nissTrabalhador) for o in cliente(sandbox, niss=ee).obrigacao_trabalhadores(ee, "202510")]
    assert len(lista) > 200
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/trabalhador/", "mode": "error", "status": 503,
                                          "rate": 0.1, "retry_after": 0})
    recebidos: dict[str, int] = {}
    escritos = []

    def escrever(lote):
        for niss, doc in lote:
            recebidos[niss] = recebidos.get(niss, 0) + 1
            assert str(doc["nissTrabalhador"]).zfill(11) == niss
        escritos.append(len(lote))

    with BatchingSink(escrever) as sink:
        res = fetch_valores_apurados_sync(
            lambda: AsyncPsiClient(resolver(sandbox.url), Credenciais(ee, password="sandbox"), retry=RAPIDO),
            ee, "202510", lista, sink, concurrency=16, progress_every_s=0.5)
    assert res.ok and res.done == len(lista)
    assert sorted(recebidos) == sorted(lista) and set(recebidos.values()) == {1}
    injected = [r for r in sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/", "limit": 100000})
                if r["status"] == 503]
    assert injected  # faults really fired and were retried


def test_bulk_reports_per_worker_failures_without_failing_the_batch(sandbox):
    docs = []

    async def main():
        async with AsyncPsiClient(resolver(sandbox.url), Credenciais(EE, password="sandbox"), retry=RAPIDO) as c:
            return await fetch_valores_apurados(c, EE, MES, [W, "12345678910", "1234567890a"], lambda n, d: docs.append(n),
                                                concurrency=3, rate_per_second=50)

    res = asyncio.run(main())
    assert res.done == 1 and docs == [W]
    assert set(res.failed) == {"12345678910", "1234567890a"}
    assert "no valores apurados for this worker" in res.failed["12345678910"]
    assert "NISS trabalhador com formato inválido." in res.failed["1234567890a"]


def test_payment_receipt_appears_after_payment(sandbox):
    sandbox.admin("PUT", "config", json={"emissao_delay_seconds": 0})
    with cliente(sandbox) as c:
        r = obter_documentos(c, intervalo_min=0.05)
        [doc] = r.documentos
        sandbox.admin("POST", "pagamentos", json={"numeroDocumentoPagamento": str(doc.numeroDocumentoPagamento),
                                                  "dataPagamento": "2026-01-20"})
        [recibo] = c.comprovativos_pagamento("2026")
        assert c.comprovativos_pagamento("2025") == []
    assert str(recibo.numeroDocumentoPagamento) == str(doc.numeroDocumentoPagamento)
    assert recibo.valor == Decimal("556.00") and recibo.dataPagamento.isoformat() == "2026-01-20"


def test_not_found_and_cancel_of_another_employers_document(sandbox):
    with cliente(sandbox) as c:
        with pytest.raises(E.PsiNotFound, match="Comprovativo de entrega não encontrado"):
            c.comprovativo(EE, "00000000-0000-4000-8000-000000000000")
        [doc] = obter_documentos(c, intervalo_min=0.05).documentos
    with cliente(sandbox, niss=EE_IND) as c, pytest.raises(E.PsiForbiddenError, match="codigoResultado 7"):
        c.cancelar_documento(str(doc.numeroDocumentoPagamento))


def test_confirmar_errors_carry_the_ss_message(sandbox):
    with cliente(sandbox) as c, pytest.raises(E.PsiValidationError) as ei:
        c.confirmar(EE, "202412")
    assert ei.value.ss_message == "Não existem valores apurados para o ano/mês indicado."


def test_hang_on_a_post_is_outcome_unknown_and_not_resent(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "/confirmar", "mode": "hang", "hang_seconds": 3})
    with cliente(sandbox, timeout=0.5) as c, pytest.raises(E.PsiOutcomeUnknown, match="ReadTimeout"):
        c.confirmar(EE, MES)
    sandbox.admin("DELETE", "faults")
    assert len(posts(sandbox, "/confirmar")) == 1


def test_hang_that_never_clears_fails_within_the_bounds(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "GET", "path": "/avisos/", "mode": "hang", "hang_seconds": 30})
    t0 = time.monotonic()
    politica = RetryPolicy(attempts=3, timeout=5, wait_initial=0.05, wait_max=0.1, wait_jitter=0)
    with cliente(sandbox, timeout=0.4, retry=politica) as c, pytest.raises(E.PsiRetryableError, match="ReadTimeout"):
        c.avisos(EE)
    assert time.monotonic() - t0 < 3  # 3 × 0.4 s + waits, not 30 s
    sandbox.admin("DELETE", "faults")
    assert len(sandbox.admin("GET", "requests", params={"path_contains": "/avisos/"})) == 3


def test_cancel_put_is_never_retried(sandbox):
    sandbox.admin("PUT", "faults", json={"method": "PUT", "path": "documento-pagamento", "mode": "error", "status": 503,
                                          "retry_after": 0})
    with cliente(sandbox) as c, pytest.raises(E.PsiOutcomeUnknown):
        c.cancelar_documento("123")
    assert len(sandbox.admin("GET", "requests", params={"method": "PUT"})) == 1


def test_hook_test_connection_against_the_sandbox(sandbox, monkeypatch):
    import json as _json

    from psi_hook import PsiHook

    monkeypatch.setenv("AIRFLOW_CONN_PSI_SB_OK", _json.dumps({"conn_type": "psi", "host": sandbox.url, "login": EE,
                                                              "password": "sandbox"}))
    monkeypatch.setenv("AIRFLOW_CONN_PSI_SB_KO", _json.dumps({"conn_type": "psi", "host": sandbox.url, "login": EE,
                                                              "password": "errada-123"}))
    token = sandbox.admin("POST", "token", json={"niss": EE})["access_token"]
    monkeypatch.setenv("AIRFLOW_CONN_PSI_SB_JWT", _json.dumps({"conn_type": "psi", "host": sandbox.url, "login": EE,
                                                               "password": token, "extra": {"auth": "bearer"}}))
    assert PsiHook("psi_sb_ok").test_connection() == (True, f"authenticated as NISS {EE} on personalizado")
    ok, texto = PsiHook("psi_sb_ko").test_connection()
    assert not ok and texto.startswith(f"credentials rejected for NISS {EE}") and "errada-123" not in texto
    with PsiHook("psi_sb_jwt").get_client() as c:
        assert c.valores_apurados_trabalhador(EE, MES, W).totalObrigacao == Decimal("556")
    assert [r["niss"] for r in sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/"})] == [EE]


def test_bulk_async_sink_with_models_and_a_failing_sink_stops_the_batch(sandbox):
    ee = "20000000205"
    sandbox.admin("POST", f"apuramento/{ee}/202510")
    with cliente(sandbox, niss=ee) as c:
        lista = [o.nissTrabalhador for o in c.obrigacao_trabalhadores(ee, "202510")]  # ints, as the SS gives them
    recebidos = {}

    async def guardar(niss, v):
        await asyncio.sleep(0)
        recebidos[niss] = v

    def cli():
        return AsyncPsiClient(resolver(sandbox.url), Credenciais(ee, password="sandbox"), retry=RAPIDO, max_connections=8)

    res = fetch_valores_apurados_sync(cli, ee, "202510", lista + lista[:5], guardar, concurrency=8, como_modelo=True)
    assert res.ok and res.done == len(lista) == len(recebidos)  # duplicates fetched once
    assert all(v.nissTrabalhador == int(n) and v.anoMes == "202510" for n, v in recebidos.items())

    guardados = []

    def disco_cheio(niss, doc):
        if len(guardados) == 20:
            raise OSError("No space left on device")
        guardados.append(niss)

    with pytest.raises(OSError, match="No space left"):
        fetch_valores_apurados_sync(cli, ee, "202510", lista, disco_cheio, concurrency=8)
    assert len(guardados) == 20
    pedidos = sandbox.admin("GET", "requests", params={"path_contains": "/trabalhador/", "limit": 100000})
    assert len(pedidos) < 2 * len(lista)  # the second batch stopped early instead of fetching everything
