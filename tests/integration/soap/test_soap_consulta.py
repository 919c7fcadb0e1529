"""The SS's contract data and communications over SOAP (issue #14): the sandbox's services (``python -m ciclo.sandbox``
as a process, default seed) on the wire, and the zeep client ``ConsultaSoapClient`` against them."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import httpx
import pytest
import zeep

from ciclo.psi import errors as E
from ciclo.psi import soap_consulta as Q
from ciclo.psi.ambientes import resolver
from ciclo.psi.auth import Credenciais
from ciclo_dev.divergencias import plantar_comunicacao, plantar_divergencia

EE, TRAB = "20000003116", "10000000001"
NS = "http://vo.webservice.contrato.segsocial.pt"
SET = date(2025, 9, 1), date(2025, 9, 30)


def envelope(op: str, corpo: str = "") -> str:
    return (f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vo="{NS}">'
            f"<soapenv:Header/><soapenv:Body><vo:{op}>{corpo}</vo:{op}></soapenv:Body></soapenv:Envelope>")


def post(sb, path: str, xml: str, auth=(EE, "sandbox"), **kw) -> httpx.Response:
    return httpx.post(f"{sb.url}/ws/contrato/v1/{path}", content=xml.encode(), auth=auth,
                      headers={"Content-Type": "text/xml; charset=utf-8", **kw.pop("headers", {})}, timeout=10)


def cliente(sb, niss=EE, pwd="sandbox", **kw) -> Q.ConsultaSoapClient:
    return Q.ConsultaSoapClient.de_ambiente(resolver(sb.url), Credenciais(niss, password=pwd), timeout=5, **kw)


# ------------------------------------------------------------------------------------------------ the sandbox's wire
@pytest.mark.parametrize("path,binding", [("contratos", Q.BINDING_CONTRATOS),
                                          ("obterComunicacoes", Q.BINDING_COMUNICACOES)])
def test_wsdl_is_served_with_the_sandbox_address_and_loads_in_zeep(sandbox, path, binding, tmp_path):
    r = httpx.get(f"{sandbox.url}/ws/contrato/v1/{path}?wsdl", timeout=10)
    assert r.status_code == 200 and f'location="{sandbox.url}/ws/contrato/v1/{path}"' in r.text
    (tmp_path / "s.wsdl").write_text(r.text)
    assert binding in zeep.Client(str(tmp_path / "s.wsdl")).wsdl.bindings


def test_two_steps_on_the_wire_answer_the_contracts_the_ss_holds(sandbox):
    r = post(sandbox, "contratos", envelope("pesquisaContratos", "<data-inicio>2025-09-01</data-inicio>"
                                            "<data-fim>2025-09-30</data-fim>"),
             headers={"SOAPAction": '"http://interfaces.webservice.contrato.segsocial.pt#pesquisaContratos"'})
    assert r.status_code == 200 and "<codigo-resultado>1</codigo-resultado>" in r.text
    chave = r.text.split("<chave>")[1].split("</chave>")[0]
    r = post(sandbox, "contratos", envelope("getDadosContratos", f"<chave>{chave}</chave>"))
    assert "<codigo-resultado>1</codigo-resultado>" in r.text
    assert f"<niss-trabalhador>{TRAB}</niss-trabalhador>" in r.text
    assert "<remuneracao-base>1600.00</remuneracao-base>" in r.text
    assert "<inicio-informacao-contrato>2022-06-06</inicio-informacao-contrato>" in r.text


def test_missing_and_invalid_parameters_answer_codigo_2_and_3(sandbox):
    r = post(sandbox, "contratos", envelope("pesquisaContratos", "<data-fim>2025-09-30</data-fim>"))
    assert "<codigo-resultado>2</codigo-resultado>" in r.text and "Data início não identificada" in r.text
    r = post(sandbox, "contratos", envelope("pesquisaContratos", "<data-inicio>2025-09-30</data-inicio>"
                                            "<data-fim>2025-09-01</data-fim>"))
    assert "<codigo-resultado>3</codigo-resultado>" in r.text


def test_401_without_credentials_and_the_request_log(sandbox):
    r = post(sandbox, "obterComunicacoes", envelope("obterComunicacoes"), auth=(EE, "errada"))
    assert r.status_code == 401
    r = post(sandbox, "obterComunicacoes", envelope("obterComunicacoes"))
    assert r.status_code == 200 and "<codigo-resultado>4</codigo-resultado>" in r.text
    log = sandbox.admin("GET", "requests", params={"path_contains": "obterComunicacoes"})
    assert [(x["method"], x["status"], x["niss"]) for x in log] == [("POST", 401, None), ("POST", 200, EE)]


def test_malformed_envelope_unknown_operation_and_wrong_soapaction_are_faults(sandbox):
    for xml, kw in (("<nao-e-soap/>", {}), (envelope("alterarContratoTrabalho"), {}),
                    (envelope("getDadosContratos", "<chave>x</chave>"), {"headers": {"SOAPAction": '"x#y"'}}),
                    (envelope("getDadosContratos", "<chave>x</chave><chave>y</chave>"), {})):
        r = post(sandbox, "contratos", xml, **kw)
        assert r.status_code == 500 and "<soapenv:Fault>" in r.text and "faultstring" in r.text


def test_another_employers_key_is_unknown(sandbox):
    from ciclo.sandbox.seed import EE_INDUSTRIA

    with cliente(sandbox) as c:
        chave = c.pesquisa_contratos(*SET)
    with cliente(sandbox, EE_INDUSTRIA) as outro, pytest.raises(Q.ConsultaErroInterno, match="desconhecida"):
        outro.dados_contratos(chave)


# ------------------------------------------------------------------------------------------------ the client
def test_client_reads_typed_contracts_and_a_planted_disagreement(sandbox):
    plantar_divergencia(sandbox.url, EE, TRAB, remuneracao_base="1550.00", diuturnidades="20.00")
    with cliente(sandbox) as c:
        [k] = c.contratos(*SET, [TRAB])
    assert (k.niss_trabalhador, k.modalidade_contrato, k.inicio_contrato) == (TRAB, "A", date(2022, 6, 6))
    assert k.remuneracao_base == Decimal("1550.00") and k.diuturnidades == Decimal("20.00")
    assert k.em_vigor(date(2025, 9, 15)) and not k.em_vigor(date(2022, 1, 1))


def test_client_waits_while_the_search_is_processed_and_searches_again_when_expired(sandbox):
    sandbox.admin("PUT", "contratos/consulta", json={"atraso_segundos": 0.6})
    with cliente(sandbox, intervalo=0.2) as c:
        chave = c.pesquisa_contratos(*SET)
        assert c.dados_contratos(chave).estado == "POR_PROCESSAR"
        t0 = time.monotonic()
        assert len(c.contratos(*SET)) == 1 and time.monotonic() - t0 >= 0.5
    sandbox.admin("PUT", "contratos/consulta", json={"atraso_segundos": 0, "validade_segundos": 0})
    with cliente(sandbox, intervalo=0.1, espera_max=1) as c:
        assert c.dados_contratos(c.pesquisa_contratos(*SET)).estado == "EXPIRADO"
        with pytest.raises(E.PsiRetryableError, match="expired"):
            c.contratos(*SET)


def test_client_no_results_and_communications(sandbox):
    with cliente(sandbox) as c:
        assert c.contratos(date(2000, 1, 1), date(2000, 1, 31)) == []
        assert c.obter_comunicacoes() == []
        plantar_comunicacao(sandbox.url, EE, TRAB, inicioContrato="2025-09-01", motivo="X")
        plantar_comunicacao(sandbox.url, EE, TRAB, rejeitada=True)
        a, b = c.obter_comunicacoes([TRAB])
        assert (a.tipo, a.rejeitada, a.inicio_contrato, b.descricao_tipo) == ("0", False, "2025-09-01", "não aceite")
    sandbox.reset()  # planted communications belong to the seed
    with cliente(sandbox) as c:
        assert c.obter_comunicacoes() == []


def test_client_errors_auth_forbidden_validation_retryable(sandbox):
    with cliente(sandbox, pwd="errada") as c, pytest.raises(Q.ConsultaCredenciaisRejeitadas):
        c.obter_comunicacoes()
    with cliente(sandbox) as c:
        with pytest.raises(Q.ConsultaInvalida) as ei:
            c.pesquisa_contratos(date(2025, 9, 30), date(2025, 9, 1))
        assert isinstance(ei.value, E.PsiValidationError) and ei.value.codigo == 3
        for status in (503, 429, 500):
            sandbox.admin("PUT", "faults", json={"method": "POST", "path": "obterComunicacoes", "mode": "error",
                                                 "status": status, "times": 1})
            with pytest.raises(E.PsiRetryableError):
                c.obter_comunicacoes()
    sandbox.admin("PUT", "faults", json={"method": "POST", "path": "/contratos", "mode": "hang", "hang_seconds": 3,
                                         "times": 1})
    with Q.ConsultaSoapClient.de_ambiente(resolver(sandbox.url), Credenciais(EE, password="sandbox"),
                                          timeout=0.5) as c, pytest.raises(E.PsiRetryableError):
        c.pesquisa_contratos(*SET)
