"""How the REST clients map answers to errors and when they retry — cases the sandbox cannot produce (an HTML 502
from a proxy, a 200 that is not the contract's shape, a Retry-After date, a read timeout on a POST), served
by httpx's MockTransport. The same cases against the real sandbox are in tests/integration/psi/."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time

import httpx
import pytest

from ciclo.psi import errors as E
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo.psi.rest import AsyncPsiClient, PsiClient, RetryPolicy

EE, W, MES = "20000003116", "10000000001", "202509"
RAPIDO = RetryPolicy(attempts=4, timeout=10, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0)
SENHA = "senha-muito-secreta-42"


class Servidor:
    """Answers from a list (the last one repeats) and remembers what it was asked."""

    def __init__(self, *respostas):
        self.respostas = list(respostas)
        self.pedidos: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.pedidos.append(request)
        r = self.respostas[min(len(self.pedidos), len(self.respostas)) - 1]
        if isinstance(r, Exception):
            raise r
        return r


def erro(status, message, **kw):
    return httpx.Response(status, json={"code": status, "message": message}, **kw)


def cliente(servidor, **kw):
    return PsiClient(resolver("http://psi.test"), Credenciais(EE, password=SENHA), retry=kw.pop("retry", RAPIDO),
                     transport=httpx.MockTransport(servidor), **kw)


def payload():
    from decimal import Decimal
    return {"anoMes": "202510", "trabalhadores": [{"nissTrabalhador": W, "remuneracoes": [
        {"dataInicio": "2025-10-01", "dataFim": "2025-10-31", "natureza": "R", "remuneracao": Decimal("4321.99")}]}]}


@pytest.mark.parametrize("mensagem,parametro", [
    ("Ano/mês não cumpre os requisitos da estrutura definida YYYYMM", "ano-mes"),
    ("NISS entidade empregadora com formato inválido.", "niss-ee"),
    ("NISS trabalhador com formato inválido.", "niss-trabalhador"),
    ("Natureza de remuneração inválida: Z", "natureza"),
])
def test_400_carries_the_ss_message_and_the_parameter(mensagem, parametro):
    s = Servidor(erro(400, mensagem))
    with cliente(s) as c, pytest.raises(E.PsiValidationError) as ei:
        c.valores_apurados_trabalhador(EE, MES, W)
    assert ei.value.ss_message == mensagem and ei.value.parametro == parametro and ei.value.status == 400
    assert mensagem in str(ei.value) and len(s.pedidos) == 1  # never retried


def test_400_text_masks_the_amount_but_keeps_it_in_ss_message():
    s = Servidor(erro(400, "Valor de remuneração inválido: 4321.999"))
    with cliente(s) as c, pytest.raises(E.PsiValidationError) as ei:
        c.enviar_valores_remuneracao(EE, payload())
    assert "4321" not in str(ei.value) and "Valor de remuneração inválido: ***" in str(ei.value)
    assert ei.value.ss_message.endswith("4321.999") and ei.value.parametro == "remuneracao"


def test_401_403_404_texts_say_what_to_do_and_carry_no_secret():
    with cliente(Servidor(erro(401, "Credenciais inválidas."))) as c, pytest.raises(E.PsiAuthError) as ei:
        c.avisos(EE)
    assert str(ei.value).startswith("credentials rejected for NISS 20000003116")
    with cliente(Servidor(erro(403, "Operação não permitida."))) as c, pytest.raises(E.PsiForbiddenError) as ei:
        c.valores_apurados_mensal("20000000108", MES)
    texto = str(ei.value)
    assert "NISS 20000003116 is not authorised for consultarValoresApuradosMensal on employer 20000000108" in texto
    assert "suporte-psi@seg-social.pt" in texto and "/valores-apurados/entidade-empregadora/{niss-ee}/mensal" in texto
    with cliente(Servidor(erro(404, "Comprovativo de entrega não encontrado."))) as c, pytest.raises(E.PsiNotFound):
        c.comprovativo(EE, "00000000-0000-0000-0000-000000000000")
    for exc_texto in (texto, str(ei.value)):
        assert SENHA not in exc_texto and "Basic" not in exc_texto


def test_every_error_is_a_psi_error():
    for cls in (E.PsiValidationError, E.PsiAuthError, E.PsiForbiddenError, E.PsiNotFound, E.PsiRetryableError,
                E.PsiOutcomeUnknown, E.PsiContractError):
        assert issubclass(cls, E.PsiError)
    assert E.PsiRetryableError.retryable and not E.PsiOutcomeUnknown.retryable


def test_get_retries_502_503_504_and_html_bodies_then_succeeds():
    ok = httpx.Response(200, json=[])
    s = Servidor(httpx.Response(502, text="<html>Bad gateway</html>"), erro(503, "x"), erro(504, "x"), ok)
    with cliente(s) as c:
        assert c.avisos(EE) == []
    assert len(s.pedidos) == 4


def test_500_is_tried_three_times_at_most_and_says_whom_to_contact():
    s = Servidor(erro(500, "Erro interno do servidor"))
    with cliente(s, retry=RetryPolicy(attempts=6, timeout=10, wait_initial=0.01, wait_max=0.01, wait_jitter=0)) as c:
        with pytest.raises(E.PsiRetryableError) as ei:
            c.avisos(EE)
    assert len(s.pedidos) == 3
    assert "suporte-psi@seg-social.pt indicating NISS 20000003116" in str(ei.value) and "/eeaoc/avisos/{niss-ee}" in str(ei.value)


def test_retries_are_bounded_by_attempts():
    s = Servidor(erro(503, "x"))
    with cliente(s) as c, pytest.raises(E.PsiRetryableError, match="HTTP 503"):
        c.avisos(EE)
    assert len(s.pedidos) == RAPIDO.attempts


def test_retry_after_is_honoured():
    s = Servidor(erro(429, "x", headers={"Retry-After": "1"}), erro(503, "x", headers={"Retry-After": "1"}),
                 httpx.Response(200, json=[]))
    t0 = time.monotonic()
    with cliente(s) as c:
        assert c.avisos(EE) == []
    assert time.monotonic() - t0 >= 2.0  # not the policy's 0.01–0.02 s waits
    assert len(s.pedidos) == 3


def test_retry_after_as_http_date():
    from ciclo.psi.rest import _retry_after

    daqui_a_30 = httpx.Response(503, headers={"Retry-After": email.utils.formatdate(time.time() + 30, usegmt=True)})
    assert 28 <= _retry_after(daqui_a_30) <= 30
    assert _retry_after(httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert _retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None


def test_post_is_never_retried():
    for resposta, esperado in [(erro(503, "x"), E.PsiOutcomeUnknown), (erro(500, "x"), E.PsiOutcomeUnknown),
                               (erro(429, "x", headers={"Retry-After": "0"}), E.PsiRetryableError),
                               (httpx.ReadTimeout("read timed out"), E.PsiOutcomeUnknown),
                               (httpx.RemoteProtocolError("peer closed connection"), E.PsiOutcomeUnknown),
                               (httpx.ConnectError("refused"), E.PsiRetryableError)]:
        s = Servidor(resposta)
        with cliente(s) as c, pytest.raises(esperado) as ei:
            c.enviar_valores_remuneracao(EE, payload())
        assert len(s.pedidos) == 1, resposta
        assert "4321.99" not in str(ei.value)
        if isinstance(resposta, httpx.ConnectError):
            assert "nothing was sent" in str(ei.value)
        if isinstance(resposta, (httpx.ReadTimeout, httpx.RemoteProtocolError)):
            assert "check what the Segurança Social holds" in str(ei.value)


def test_read_timeout_on_a_get_is_retried():
    s = Servidor(httpx.ReadTimeout("slow"), httpx.Response(200, json=[]))
    with cliente(s) as c:
        assert c.avisos(EE) == []
    assert len(s.pedidos) == 2


def test_a_2xx_that_is_not_the_contract():
    # GET: contract error, not retried, names the field, not the value
    s = Servidor(httpx.Response(200, content=b'{"anoMes": "202509", "nissTrabalhador": 10000000001, "totalRemuneracao": "mil"}'))
    with cliente(s) as c, pytest.raises(E.PsiContractError) as ei:
        c.valores_apurados_trabalhador(EE, MES, W)
    assert "totalRemuneracao" in str(ei.value) and "mil" not in str(ei.value) and len(s.pedidos) == 1
    with cliente(Servidor(httpx.Response(200, text="<html>maintenance</html>"))) as c, \
            pytest.raises(E.PsiContractError, match="not JSON"):
        c.avisos(EE)
    # POST: it was processed, the answer is unreadable → outcome unknown
    with cliente(Servidor(httpx.Response(200, json={"outra": "coisa"}))) as c, pytest.raises(E.PsiOutcomeUnknown):
        c.enviar_valores_remuneracao(EE, payload())


def test_request_wire_format_exact_decimals_and_auth_header():
    s = Servidor(httpx.Response(200, json={"comprovativoEntrega": "c0ffee"}))
    with cliente(s) as c:
        assert c.enviar_valores_remuneracao(EE, payload()).comprovativoEntrega == "c0ffee"
    [r] = s.pedidos
    assert r.url.path == f"/ptss/rest/eeaoc/valores-remuneracao/entidade-empregadora/{EE}"
    assert r.headers["Content-Type"] == "application/json" and r.headers["Authorization"].startswith("Basic ")
    assert b'"remuneracao":4321.99' in r.content
    assert json.loads(r.content)["anoMes"] == "202510"


def test_nothing_apurado_is_none_and_async_client_shares_the_mapping():
    async def main():
        s = Servidor(httpx.Response(200, json=[]), erro(403, "x"))
        async with AsyncPsiClient(resolver("http://psi.test"), Credenciais(EE, token="tok.en.value"), retry=RAPIDO,
                                  transport=httpx.MockTransport(s)) as c:
            assert await c.valores_apurados_trabalhador(EE, MES, W) is None
            with pytest.raises(E.PsiForbiddenError):
                await c.valores_apurados_trabalhador("20000000108", MES, W)
        return s

    s = asyncio.run(main())
    assert s.pedidos[0].headers["Authorization"] == "Bearer tok.en.value"


def test_a_get_answered_at_the_first_try_builds_no_retry_machinery(monkeypatch):
    # stamina's per-call objects (tenacity's, in reference cycles) are built only once a try has failed
    import ciclo.psi.rest as rest

    def proibido(*a, **kw):
        raise AssertionError("retry machinery built for a GET that needed no retry")

    monkeypatch.setattr(rest.stamina, "retry_context", proibido)
    s = Servidor(httpx.Response(200, json=[]))
    with cliente(s) as c:
        assert c.avisos(EE) == []
    assert len(s.pedidos) == 1

    async def assincrono():
        async with AsyncPsiClient(resolver("http://psi.test"), Credenciais(EE, password=SENHA), retry=RAPIDO,
                                  transport=httpx.MockTransport(s)) as c:
            return await c.avisos(EE)

    s = Servidor(httpx.Response(200, json=[]))
    assert asyncio.run(assincrono()) == []
    assert len(s.pedidos) == 1


def test_the_first_failed_try_counts_in_the_attempts_and_the_hook_async():
    # the async client: 500 at most attempts_500 tries (the first, made outside the retry loop, counts), and a
    # Retry-After on the first failure is waited for
    async def correr(servidor, retry):
        async with AsyncPsiClient(resolver("http://psi.test"), Credenciais(EE, password=SENHA), retry=retry,
                                  transport=httpx.MockTransport(servidor)) as c:
            return await c.avisos(EE)

    s = Servidor(erro(500, "Erro interno do servidor"))
    with pytest.raises(E.PsiRetryableError, match="HTTP 500"):
        asyncio.run(correr(s, RetryPolicy(attempts=6, timeout=10, wait_initial=0.01, wait_max=0.01, wait_jitter=0)))
    assert len(s.pedidos) == 3
    s = Servidor(erro(503, "x"))
    with pytest.raises(E.PsiRetryableError, match="HTTP 503"):
        asyncio.run(correr(s, RAPIDO))
    assert len(s.pedidos) == RAPIDO.attempts
    s = Servidor(erro(503, "x", headers={"Retry-After": "1"}), httpx.Response(200, json=[]))
    t0 = time.monotonic()
    assert asyncio.run(correr(s, RAPIDO)) == []
    assert time.monotonic() - t0 >= 1.0 and len(s.pedidos) == 2


def test_the_first_try_counts_in_the_total_time():
    # each try takes 0.5 s and fails; 1.25 s in all: tries at 0, 0.5, 1.0 s (the third starts before 1.25), not a
    # fourth. Were the first try's time not counted, the retry loop would still be within its 1.25 s at 1.5 s.
    pedidos = []

    def servidor(request):
        pedidos.append(request)
        time.sleep(0.5)
        return erro(503, "x")

    politica = RetryPolicy(attempts=10, timeout=1.25, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
    with cliente(servidor, retry=politica) as c, pytest.raises(E.PsiRetryableError):
        c.avisos(EE)
    assert len(pedidos) == 3
