"""alterarContratoTrabalho through the full sandbox (``python -m ciclo.sandbox`` as a process, default seed):
the zeep client, the store as SoapBackend, the admin listing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
import zeep

from ciclo.domain import contrato as C
from ciclo.psi import soap as S
from ciclo.psi.auth import Credenciais

EE, TRAB = "20000003116", "10000000001"
HOJE = datetime.now(ZoneInfo("Europe/Lisbon")).date()
INICIO = HOJE.replace(day=1)


def endpoint(sb) -> str:
    return f"{sb.url}/ws/contrato/v1/alterarContratoTrabalho"


def mudanca(**over):
    c = {"niss_trabalhador": TRAB, "modalidade_contrato": "B", "prestacao_trabalho": "P", "inicio_contrato": INICIO,
         "profissao": "41101", "remuneracao_base": Decimal("900.00"), "diuturnidades": Decimal("30.00"),
         "percentagem_trabalho": Decimal("50"), "horas_trabalho": Decimal("20"), "dias_trabalho": Decimal("11")}
    c.update(over)
    return c


def test_change_registered_then_resend_refused_as_already_applied(sandbox):
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, password="sandbox"), timeout=10) as c:
        r = c.alterar_contrato(mudanca())
        assert r.ok and r.niss_trabalhador == TRAB
        registados = sandbox.admin("GET", "contratos", params={"niss_ee": EE})
        assert len(registados) == 1 and registados[0]["niss_trabalhador"] == TRAB
        k = registados[0]["contrato"]
        assert (k["modalidade_contrato"], k["inicio_contrato"], Decimal(str(k["remuneracao_base"]))) == \
            ("B", INICIO.isoformat(), Decimal("900.00"))
        # The same change again: the SS's validation says it is not after the last contract (the pipeline reads
        # this as "already applied").
        with pytest.raises(S.ContratoInvalido) as ei:
            c.alterar_contrato(mudanca())
        assert ei.value.mensagens == [C.INICIO_NAO_POSTERIOR_ULTIMO]


def test_codigo_2_and_3_and_unknown_worker_through_the_store(sandbox):
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, password="sandbox"), timeout=10) as c:
        with pytest.raises(S.ContratoParametroEmFalta) as ei:
            c.alterar_contrato(mudanca(dias_trabalho=None))
        assert ei.value.mensagens == [C.DIAS_NAO_IDENTIFICADO]
        with pytest.raises(S.ContratoInvalido) as ei:
            c.alterar_contrato(mudanca(niss_trabalhador="10000000099"))
        assert ei.value.mensagens == [C.SEM_VINCULO]
        with pytest.raises(S.ContratoInvalido) as ei:
            c.alterar_contrato(mudanca(inicio_contrato=date(2022, 6, 6)))
        assert ei.value.mensagens == [C.INICIO_NAO_POSTERIOR_ULTIMO]
    assert sandbox.admin("GET", "contratos", params={"niss_ee": EE}) == []


def test_bearer_and_bad_credentials(sandbox):
    tok = sandbox.admin("POST", "token", json={"niss": EE})["access_token"]
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, token=tok), timeout=10) as c:
        assert c.alterar_contrato(mudanca()).ok
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, password="nope"), timeout=10) as c:
        with pytest.raises(S.ContratoCredenciaisRejeitadas, match=f"credentials rejected for NISS {EE}"):
            c.alterar_contrato(mudanca(inicio_contrato=HOJE))
    log = sandbox.admin("GET", "requests", params={"path_contains": "/ws/contrato/"})
    assert [x["status"] for x in log] == [200, 401]


def test_wsdl_from_the_sandbox_points_at_it_and_loads_in_zeep(sandbox):
    r = httpx.get(endpoint(sandbox) + "?wsdl", timeout=10)
    assert r.status_code == 200 and f'location="{endpoint(sandbox)}"' in r.text
    cli = zeep.Client(endpoint(sandbox) + "?wsdl")
    port = cli.wsdl.services["alterarContratoTrabalho"].ports["alterarContratoTrabalhoSEIPort"]
    assert port.binding_options["address"] == endpoint(sandbox)


def test_malformed_envelope_is_a_fault_through_the_sandbox(sandbox):
    r = httpx.post(endpoint(sandbox), content=b"<soapenv:Envelope", auth=(EE, "sandbox"),
                   headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 500 and "<faultstring>Malformed SOAP request" in r.text and "Traceback" not in r.text


# ------------------------------------------------------------------------------ issue 12: evidence from a public client
def test_timeout_fault_with_codigo_408_is_a_retryable_timeout(sandbox):
    sandbox.admin("POST", "soap/timeouts", json={"vezes": 1})
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, password="sandbox"), timeout=10) as c:
        with pytest.raises(S.ContratoTimeout) as ei:
            c.alterar_contrato(mudanca())
        assert ei.value.retryable and isinstance(ei.value, S.PsiRetryableError)
        assert "codigo-resultado 408" in str(ei.value) and ei.value.faultstring == "Request Timeout"
        assert c.alterar_contrato(mudanca()).ok  # the retry goes through (namespace and SOAPAction as evidenced)


def test_a_representatives_credential_is_stopped_before_any_soap_call(sandbox):
    from ciclo.psi.auth import exigir_credencial_propria
    from ciclo.psi.errors import PsiCredencialInadequada

    rep = Credenciais("25000000014", password="sandbox", tipo="REPRESENTANTE")
    with pytest.raises(PsiCredencialInadequada, match=f"needs the employer's own PSI credential \\(login NISS {EE}"):
        exigir_credencial_propria(rep, EE)
    exigir_credencial_propria(Credenciais(EE, password="sandbox"), EE)  # the employer's own: no error
    with S.ContratoSoapClient(endpoint(sandbox), rep, timeout=10) as c, \
            pytest.raises(PsiCredencialInadequada, match="payroll data is not at fault"):
        c.alterar_contrato(mudanca())
    assert sandbox.admin("GET", "requests", params={"path_contains": "/ws/contrato/"}) == []  # nothing was sent


def test_expired_bearer_token_reaches_the_operator_as_such(sandbox):
    from ciclo.psi.errors import PsiTokenExpirado

    tok = sandbox.admin("POST", "token", json={"niss": EE, "expires_in": -5})["access_token"]
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, token=tok), timeout=10) as c, \
            pytest.raises(PsiTokenExpirado, match="Token expirado."):
        c.alterar_contrato(mudanca())


def test_a_start_more_than_30_days_ahead_is_judged_on_the_sandbox_clock(sandbox):
    """The sandbox's one clock (``PUT /_sandbox/config`` ``hoje``) is the date of the call for the SOAP
    validation: a start 60 days ahead is refused today and accepted on a configured day 10 days before it."""
    inicio = HOJE + timedelta(days=60)
    with S.ContratoSoapClient(endpoint(sandbox), Credenciais(EE, password="sandbox"), timeout=10) as c:
        with pytest.raises(S.ContratoInvalido) as ei:
            c.alterar_contrato(mudanca(inicio_contrato=inicio))
        assert ei.value.mensagens == [C.INICIO_MAIS_30_DIAS]
        sandbox.admin("PUT", "config", json={"hoje": (inicio - timedelta(days=10)).isoformat()})
        assert c.alterar_contrato(mudanca(inicio_contrato=inicio)).ok
