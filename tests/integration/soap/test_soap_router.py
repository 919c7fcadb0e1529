"""The sandbox's SOAP router over real HTTP (uvicorn on loopback), with raw envelopes (the spec's examples)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from lxml import etree

from soap_fake import EE, PASSWORD, SUB, TRAB

from ciclo.domain import contrato as C

NS = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "vo": "http://vo.webservice.contrato.segsocial.pt"}
AUTH = (EE, PASSWORD)


def envelope(*elementos: str, op: str = "vo:alterarContratoTrabalho") -> str:
    corpo = "\n".join(f"      {e}" for e in elementos)
    return ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:vo="http://vo.webservice.contrato.segsocial.pt">\n  <soapenv:Header/>\n  <soapenv:Body>\n'
            f"    <{op}>\n{corpo}\n    </{op}>\n  </soapenv:Body>\n</soapenv:Envelope>")


def el(nome, valor):
    return f"<{nome}>{valor}</{nome}>"


VALIDO = [el("niss-trabalhador", TRAB), el("modalidade-contrato", "A"), el("inicio-contrato", "2025-10-01"),
          el("profissao", "41101"), el("remuneracao-base", "1700.00")]


def post(soap, xml, auth=AUTH, **kw):
    return httpx.post(soap.endpoint, content=xml.encode(), auth=auth, timeout=10,
                      headers={"Content-Type": "text/xml; charset=utf-8", **kw.pop("headers", {})}, **kw)


def resultado(r):
    doc = etree.fromstring(r.content)
    resp = doc.find("s:Body/vo:alterarContratoTrabalhoResponse", NS)
    assert resp is not None, r.text
    return resp.findtext("codigo-resultado"), resp.findtext("mensagens-erro")


def fault(r):
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/xml"), (r.status_code, r.text)
    f = etree.fromstring(r.content).find("s:Body/s:Fault", NS)
    assert "Traceback" not in r.text
    return f.findtext("faultcode"), f.findtext("faultstring")


def test_success_registers_typed_contract_and_answers_like_the_spec(soap):
    r = post(soap, envelope(*VALIDO, el("diuturnidades", "25.50")),
             headers={"SOAPAction": '"http://interfaces.webservice.contrato.segsocial.pt#alterarContratoTrabalho"'})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert resultado(r) == ("1", None)
    assert "<codigo-resultado>1</codigo-resultado>" in r.text and "mensagens-erro" not in r.text
    [(ee, trab, c)] = soap.backend.registados
    assert (ee, trab) == (EE, TRAB)
    assert c["inicio_contrato"] == date(2025, 10, 1) and c["remuneracao_base"] == Decimal("1700.00")
    assert c["diuturnidades"] == Decimal("25.50") and c["prestacao_trabalho"] == "P"
    assert c["muito_curta_duracao"] is False


def test_spec_example_codigo_2_verbatim(soap):
    # "Pedido insucesso (codigo-resultado = 2)" of the spec, including its <diurnidades> spelling.
    xml = envelope("<!--You may enter the following 13 items in any order-->", el("niss-trabalhador", "1999999999"),
                   el("modalidade-contrato", "G"), "<!--Optional:-->", el("prestacao-trabalho", "T"),
                   el("inicio-contrato", "2022-04-07"), el("fim-contrato", "2022-04-30"), el("profissao", "73231"),
                   el("remuneracao-base", "123.44"), el("diurnidades", "22.78"), "<motivo-contrato></motivo-contrato>")
    r = post(soap, xml)
    assert r.status_code == 200
    assert resultado(r) == ("2", "Motivo de contrato não identificado")
    assert soap.backend.registados == []


def test_codigo_3_messages_joined_and_context_rules_applied(soap):
    r = post(soap, envelope(el("niss-trabalhador", "1999999999"), el("modalidade-contrato", "G"),
                            el("prestacao-trabalho", "T"), el("inicio-contrato", "2022-04-07"),
                            el("fim-contrato", "2022-04-30"), el("profissao", "73231"),
                            el("remuneracao-base", "123.44"), el("motivo-contrato", "EOPA")))
    assert resultado(r) == ("3", "NISS do trabalhador não é válido; "
                                 "Prestação trabalho inválida para a modalidade de contrato identificada")
    # context: not after the last contract's start (2022-06-06)
    r = post(soap, envelope(*[e if "inicio" not in e else el("inicio-contrato", "2022-06-06") for e in VALIDO]))
    assert resultado(r) == ("3", C.INICIO_NAO_POSTERIOR_ULTIMO)
    # context: replaced worker who never worked for the EE
    r = post(soap, envelope(el("niss-trabalhador", TRAB), el("modalidade-contrato", "E"), el("inicio-contrato", "2025-10-01"),
                            el("fim-contrato", "2026-03-31"), el("profissao", "41101"), el("remuneracao-base", "900"),
                            el("motivo-contrato", "STAT"), el("niss-trabalhador-substituir", "10000000099")))
    assert resultado(r) == ("3", C.SUBSTITUIDO_NUNCA_FOI_TRABALHADOR)
    r = post(soap, envelope(el("niss-trabalhador", TRAB), el("modalidade-contrato", "E"), el("inicio-contrato", "2025-10-01"),
                            el("fim-contrato", "2026-03-31"), el("profissao", "41101"), el("remuneracao-base", "900"),
                            el("motivo-contrato", "STAT"), el("niss-trabalhador-substituir", SUB)))
    assert resultado(r) == ("1", None)
    assert len(soap.backend.registados) == 1


def test_no_worker_vinculo(soap):
    r = post(soap, envelope(*[e if "niss" not in e else el("niss-trabalhador", "10000000077") for e in VALIDO]))
    assert resultado(r) == ("3", C.SEM_VINCULO)


def test_backend_failure_is_codigo_0_without_traceback(soap):
    soap.backend.falhar = True
    r = post(soap, envelope(*VALIDO))
    assert r.status_code == 200
    assert resultado(r) == ("0", "Erro interno do servidor")
    assert "database is locked" not in r.text and "Traceback" not in r.text


def test_authentication_first(soap):
    assert post(soap, envelope(*VALIDO), auth=None).status_code == 401
    assert post(soap, "<not-xml", auth=(EE, "wrong")).status_code == 401
    assert soap.backend.registados == []


def test_malformed_envelopes_are_soap_faults(soap):
    code, msg = fault(post(soap, "<soapenv:Envelope"))
    assert code == "soapenv:Client" and msg.startswith("Malformed SOAP request: not well-formed XML")
    code, msg = fault(post(soap, ""))
    assert msg == "Empty request: a SOAP 1.1 envelope is expected"
    code, msg = fault(post(soap, "<alterarContratoTrabalho/>"))
    assert "not a SOAP 1.1 Envelope" in msg
    code, msg = fault(post(soap, envelope(*VALIDO, op="vo:outraCoisa")))
    assert msg.startswith("Unknown operation {http://vo.webservice.contrato.segsocial.pt}outraCoisa")
    code, msg = fault(post(soap, envelope(*VALIDO, el("salario", "1"))))
    assert msg == "Unexpected element 'salario' in alterarContratoTrabalho"
    code, msg = fault(post(soap, envelope(*VALIDO, el("profissao", "41101"))))
    assert msg == "Element 'profissao' appears more than once in alterarContratoTrabalho"
    soap12 = envelope(*VALIDO).replace("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
    assert fault(post(soap, soap12))[0] == "soapenv:VersionMismatch"
    code, msg = fault(post(soap, envelope(*VALIDO), headers={"SOAPAction": "urn:other"}))
    assert msg.startswith("Unknown SOAPAction 'urn:other'")
    assert soap.backend.registados == []


def test_dtd_and_entities_refused(soap):
    bomba = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
             + envelope(*VALIDO).replace("41101", "&lol2;"))
    assert fault(post(soap, bomba)) == ("soapenv:Client", "DTDs and entity declarations are not allowed in a SOAP request")
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + envelope(*VALIDO).replace("41101", "&e;")
    code, msg = fault(post(soap, xxe))
    assert "root:" not in msg and msg == "DTDs and entity declarations are not allowed in a SOAP request"


def test_wsdl_served_with_own_address(soap):
    r = httpx.get(soap.endpoint + "?wsdl", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    doc = etree.fromstring(r.content)
    loc = doc.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert loc == soap.endpoint
    assert b"preapp.seg-social.pt" not in r.content
    assert doc.find(".//{http://www.w3.org/2001/XMLSchema}element[@name='diuturnidades']") is not None
    assert httpx.get(soap.endpoint, timeout=10).status_code == 400
