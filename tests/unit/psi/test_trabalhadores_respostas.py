"""``TrabalhadoresSsClient``'s reading of "Consultar Trabalhadores" answers, canned below the client (an httpx
transport): the answer is read while it is parsed, item by item — the same workers, first fields and errors as a
whole-tree reading, a Fault and a non-XML answer named, a DTD refused."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from ciclo.psi import vinculos as V
from ciclo.psi.auth import Credenciais

EE = "20000003116"
ENV = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>'


def _item(niss: str, inicio: str, fim: str | None = None) -> str:
    return ("<trabalhadoresQualificacoes>"
            f"<nissEE>{EE}</nissEE><nissPS>{niss}</nissPS><nomePS>***</nomePS><tipoQlf>TCO</tipoQlf>"
            f"<dataInicioQlf>{inicio}T00:00:00Z</dataInicioQlf>"
            + (f"<dataFimQlf>{fim}T23:59:59Z</dataFimQlf>" if fim else "") + "</trabalhadoresQualificacoes>")


def _cliente(respostas: list[str | bytes], **kw) -> V.TrabalhadoresSsClient:
    fila = list(respostas)

    def responder(pedido: httpx.Request) -> httpx.Response:
        corpo = fila.pop(0)
        return httpx.Response(200, content=corpo if isinstance(corpo, bytes) else corpo.encode(),
                              headers={"Content-Type": "text/xml; charset=utf-8"})

    c = V.TrabalhadoresSsClient("http://ss.invalid/ws/idq", Credenciais(EE, password="segredo"), timeout=2,
                                **({"intervalo": 0.0, "espera_max": 1.0} | kw))
    c._http = httpx.Client(transport=httpx.MockTransport(responder))
    return c


CHAVE = ENV.format("<r><chave>K1</chave><mensagemEstado></mensagemEstado></r>")


def test_the_workers_of_a_large_answer_in_order_with_their_dates():
    itens = [_item(str(10000000000 + i), "2020-01-01", "2025-09-15" if i % 3 == 0 else None) for i in range(2000)]
    dados = ENV.format("<r><codigoEstado>0</codigoEstado><mensagemEstado></mensagemEstado>" + "".join(itens) + "</r>")
    with _cliente([CHAVE, ENV.format("<r><codigoEstado>0</codigoEstado><mensagemEstado>O pedido ainda não foi "
                                     "processado.</mensagemEstado></r>"), dados]) as q:
        ts = q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    assert [t.niss_trabalhador for t in ts] == [str(10000000000 + i) for i in range(2000)]
    assert {t.niss_ee for t in ts} == {EE} and {t.tipo for t in ts} == {"TCO"}
    assert ts[0].data_fim == date(2025, 9, 15) and ts[1].data_fim is None and ts[1].data_inicio == date(2020, 1, 1)


def test_no_data_a_business_error_a_fault_and_not_xml_are_told_apart():
    sem = ENV.format("<r><codigoEstado>0</codigoEstado><mensagemEstado>Pesquisa sem dados de retorno."
                     "</mensagemEstado></r>")
    with _cliente([CHAVE, sem]) as q:
        assert q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30)) == []
    erro = ENV.format("<r><codigoEstado>2</codigoEstado><mensagemEstado>NISS inválido</mensagemEstado></r>")
    with _cliente([CHAVE, erro]) as q, pytest.raises(V.TrabalhadoresSsErro, match="codigoEstado '2': NISS inválido"):
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    fault = ENV.format("<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Erro interno"
                       "</faultstring></soapenv:Fault>")
    with _cliente([fault]) as q, pytest.raises(V.TrabalhadoresSsErro, match="SOAP Fault: Erro interno"):
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    with _cliente([CHAVE, "<r><codigoEstado>0</codigo"]) as q, pytest.raises(V.TrabalhadoresSsErro,
                                                                            match="unreadable answer"):
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    with _cliente([ENV.format("<r><mensagemEstado>Sem acesso</mensagemEstado></r>")]) as q, \
            pytest.raises(V.TrabalhadoresSsErro, match="no chave in the answer: Sem acesso"):
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))


def test_a_dtd_in_the_answer_is_refused():
    bomba = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]>'
             + ENV.format("<r><chave>&a;</chave></r>"))
    with _cliente([bomba]) as q, pytest.raises(V.TrabalhadoresSsErro, match="unreadable answer"):
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))


POR_PROCESSAR = ENV.format("<r><codigoEstado>0</codigoEstado><mensagemEstado>O pedido ainda não foi processado."
                           "</mensagemEstado></r>")


def test_a_search_not_processed_yet_is_asked_again_soon_then_every_intervalo():
    esperas: list[float] = []
    dados = ENV.format("<r><codigoEstado>0</codigoEstado><mensagemEstado></mensagemEstado>"
                       + _item("12345678901", "2020-01-01") + "</r>")
    with _cliente([CHAVE] + [POR_PROCESSAR] * 6 + [dados], intervalo=0.5, espera_max=60.0,
                  sleep=esperas.append) as q:
        ts = q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    assert [t.niss_trabalhador for t in ts] == ["12345678901"]
    assert esperas == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    # the first wait is never longer than the interval asked for
    esperas.clear()
    with _cliente([CHAVE, POR_PROCESSAR, POR_PROCESSAR, dados], intervalo=0.05, espera_max=60.0,
                  sleep=esperas.append) as q:
        q.trabalhadores_vinculados(date(2025, 9, 1), date(2025, 9, 30))
    assert esperas == [0.05, 0.05]
