"""ContratoSoapClient (zeep) against the SOAP router over real HTTP: WSDL, mapping of every codigo, auth, errors."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from soap_fake import EE, EE_SEM_ACESSO, PASSWORD, SUB, TOKEN, TRAB

from ciclo.domain import contrato as C
from ciclo.psi import errors as E
from ciclo.psi import soap as S
from ciclo.psi.auth import Credenciais

BASIC = Credenciais(EE, password=PASSWORD)
BEARER = Credenciais(EE, token=TOKEN)


def campos(**over):
    c = {"niss_trabalhador": TRAB, "modalidade_contrato": "A", "inicio_contrato": date(2025, 10, 1),
         "profissao": "41101", "remuneracao_base": Decimal("1700.00"), "diuturnidades": Decimal("25.50"),
         "fim_contrato": None}
    c.update(over)
    return c


@pytest.fixture
def cliente(soap):
    with S.ContratoSoapClient(soap.endpoint, BASIC, timeout=5) as c:
        yield c


def test_shipped_wsdl_loads_and_zeep_request_matches_the_contract(soap, cliente):
    assert S.WSDL_PATH.is_file()
    node = cliente._client.create_message(cliente._service, "alterarContratoTrabalho",
                                          **S.ContratoSoapClient._parametros(campos()))
    op = node.find(".//{http://vo.webservice.contrato.segsocial.pt}alterarContratoTrabalho")
    assert [(e.tag, e.text) for e in op] == [
        ("niss-trabalhador", TRAB), ("modalidade-contrato", "A"), ("inicio-contrato", "2025-10-01"),
        ("profissao", "41101"), ("remuneracao-base", "1700.00"), ("diuturnidades", "25.50")]
    binding = cliente._client.wsdl.bindings[S.BINDING]
    assert binding._operations["alterarContratoTrabalho"].soapaction == \
        "http://interfaces.webservice.contrato.segsocial.pt#alterarContratoTrabalho"


def test_success_with_basic(soap, cliente):
    r = cliente.alterar_contrato(campos())
    assert r == S.ResultadoAlteracao(TRAB, "2025-10-01", 1, []) and r.ok
    [(ee, trab, c)] = soap.backend.registados
    assert (ee, trab, c["remuneracao_base"], c["diuturnidades"]) == (EE, TRAB, Decimal("1700.00"), Decimal("25.50"))
    assert soap.backend.auth_headers[-1] == "Basic " + base64.b64encode(f"{EE}:{PASSWORD}".encode()).decode()


def test_success_with_bearer(soap):
    with S.ContratoSoapClient(soap.endpoint, BEARER, timeout=5) as c:
        assert c.alterar_contrato(campos(inicio_contrato="2025-10-02")).ok
    assert soap.backend.auth_headers[-1] == f"Bearer {TOKEN}"


def test_codigo_2_raises_parametro_em_falta(soap, cliente):
    with pytest.raises(S.ContratoParametroEmFalta) as ei:
        cliente.alterar_contrato(campos(modalidade_contrato="F", profissao=None))
    e = ei.value
    assert e.codigo == 2 and e.mensagens == [C.FIM_NAO_IDENTIFICADO, C.PROFISSAO_NAO_IDENTIFICADA,
                                             C.PERCENTAGEM_NAO_IDENTIFICADA, C.HORAS_NAO_IDENTIFICADA,
                                             C.DIAS_NAO_IDENTIFICADO, C.MOTIVO_NAO_IDENTIFICADO]
    assert not e.retryable and isinstance(e, E.PsiError) and e.servico == "alterarContratoTrabalho"
    # mandatory elements (minOccurs=1) are omitted, not refused by zeep: the service answers
    with pytest.raises(S.ContratoParametroEmFalta) as ei:
        cliente.alterar_contrato(campos(niss_trabalhador=None, remuneracao_base=""))
    assert ei.value.mensagens == [C.NISS_TRABALHADOR_NAO_IDENTIFICADO, C.REMUNERACAO_BASE_NAO_IDENTIFICADA]
    assert soap.backend.registados == []


def test_codigo_3_raises_invalido_with_each_message(soap, cliente):
    with pytest.raises(S.ContratoInvalido) as ei:
        cliente.alterar_contrato(campos(inicio_contrato="2022-06-06"))
    assert ei.value.codigo == 3 and ei.value.mensagens == [C.INICIO_NAO_POSTERIOR_ULTIMO]
    with pytest.raises(S.ContratoInvalido) as ei:
        cliente.alterar_contrato(campos(prestacao_trabalho="T", remuneracao_base=Decimal("0"), motivo_contrato="AEAT"))
    assert ei.value.mensagens == [C.PRESTACAO_INVALIDA_PARA_MODALIDADE, C.REMUNERACAO_BASE_NAO_POSITIVA,
                                  C.MOTIVO_INVALIDO]
    assert "1700" not in str(ei.value) and "0.00" not in str(ei.value)
    with pytest.raises(S.ContratoInvalido) as ei:
        cliente.alterar_contrato(campos(modalidade_contrato="E", fim_contrato=date(2026, 3, 31), motivo_contrato="STAT",
                                        niss_trabalhador_substituir=TRAB))
    assert ei.value.mensagens == [C.NISS_SUBSTITUIR_IGUAL]
    assert cliente.alterar_contrato(campos(modalidade_contrato="E", fim_contrato=date(2026, 3, 31),
                                           motivo_contrato="STAT", niss_trabalhador_substituir=SUB)).ok


def test_codigo_0_raises_retryable_erro_interno(soap, cliente):
    soap.backend.falhar = True
    with pytest.raises(S.ContratoErroInterno) as ei:
        cliente.alterar_contrato(campos())
    e = ei.value
    assert e.codigo == 0 and e.mensagens == ["Erro interno do servidor"]
    assert e.retryable and isinstance(e, E.PsiRetryableError)


def test_401_and_403_say_what_to_do_and_leak_no_secret(soap):
    with S.ContratoSoapClient(soap.endpoint, Credenciais(EE, password="wrong-pw"), timeout=5) as c:
        with pytest.raises(S.ContratoCredenciaisRejeitadas) as ei:
            c.alterar_contrato(campos())
    assert isinstance(ei.value, E.PsiAuthError) and ei.value.status == 401
    assert str(ei.value).startswith(f"credentials rejected for NISS {EE}")
    assert "wrong-pw" not in str(ei.value) and "Basic" not in str(ei.value)
    with S.ContratoSoapClient(soap.endpoint, Credenciais(EE, token="bad-token"), timeout=5) as c:
        with pytest.raises(S.ContratoCredenciaisRejeitadas) as ei:
            c.alterar_contrato(campos())
    assert "bad-token" not in str(ei.value)
    with S.ContratoSoapClient(soap.endpoint, Credenciais(EE_SEM_ACESSO, password=PASSWORD), timeout=5) as c:
        with pytest.raises(S.ContratoNaoAutorizado) as ei:
            c.alterar_contrato(campos())
    assert isinstance(ei.value, E.PsiForbiddenError) and ei.value.status == 403
    assert str(ei.value) == (f"NISS {EE_SEM_ACESSO} is not authorised for alterarContratoTrabalho — ask suporte-psi "
                             f"with NISS {EE_SEM_ACESSO} and endpoint {soap.endpoint}")
    assert soap.backend.registados == []


def test_soap_fault_503_unknown_codigo_and_connection_refused(soap):
    with S.ContratoSoapClient(f"{soap.url}/stub/fault", BASIC, timeout=5) as c:
        with pytest.raises(S.ContratoFault) as ei:
            c.alterar_contrato(campos())
    assert ei.value.faultstring == "Unexpected element 'x' in alterarContratoTrabalho" and not ei.value.retryable
    with S.ContratoSoapClient(f"{soap.url}/stub/503", BASIC, timeout=5) as c:
        with pytest.raises(E.PsiOutcomeUnknown, match="HTTP 503"):
            c.alterar_contrato(campos())
    with S.ContratoSoapClient(f"{soap.url}/stub/codigo9", BASIC, timeout=5) as c:
        with pytest.raises(E.PsiOutcomeUnknown, match="unexpected codigo-resultado '9'"):
            c.alterar_contrato(campos())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]
    with S.ContratoSoapClient(f"http://127.0.0.1:{porta}/ws", BASIC, timeout=5) as c:
        with pytest.raises(E.PsiRetryableError, match="nothing was sent") as ei:
            c.alterar_contrato(campos())
    assert not isinstance(ei.value, E.PsiOutcomeUnknown)


def test_no_secret_nor_amount_in_logs_or_repr(soap, caplog):
    caplog.set_level(logging.DEBUG)
    with S.ContratoSoapClient(soap.endpoint, BASIC, timeout=5) as c:
        assert PASSWORD not in repr(c)
        c.alterar_contrato(campos(remuneracao_base=Decimal("4321.98")))
        with pytest.raises(S.ContratoInvalido):
            c.alterar_contrato(campos(remuneracao_base=Decimal("4321.98")))
    b64 = base64.b64encode(f"{EE}:{PASSWORD}".encode()).decode()
    texto = caplog.text
    assert "alterarContratoTrabalho worker NISS 10000000001, start 2025-10-01 → codigo 1" in texto
    for segredo in (PASSWORD, b64, "4321.98", "25.50", "Authorization"):
        assert segredo not in texto


def test_unknown_field_is_a_programming_error(cliente):
    with pytest.raises(ValueError, match="diurnidades"):
        cliente.alterar_contrato({**campos(), "diurnidades": Decimal("1")})
